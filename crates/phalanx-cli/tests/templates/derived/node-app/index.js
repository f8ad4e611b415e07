// A Node.js handler whose folder has no node_modules/.bin/aws-lambda-ric,
// so Phalanx cannot derive its command.
exports.handler = async () => ({ statusCode: 200, body: "node" });
