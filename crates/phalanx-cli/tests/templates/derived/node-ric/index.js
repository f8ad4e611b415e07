// Not run: node_modules/.bin/aws-lambda-ric here is a stand-in.
exports.handler = async () => ({ statusCode: 200, body: "node" });
