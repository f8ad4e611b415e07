"""A custom runtime against the Lambda Runtime API, standard library only:
answers each proxy event with how it was started (`runtime.py FROM
HANDLER`) and the event's path."""

import http.client
import json
import os
import sys

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"

while True:
    connection = http.client.HTTPConnection(API)
    connection.request("GET", PREFIX + "/invocation/next")
    response = connection.getresponse()
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    event = json.loads(response.read())
    connection.close()
    body = json.dumps({"from": sys.argv[1], "handler": sys.argv[2], "path": event["path"]})
    connection = http.client.HTTPConnection(API)
    connection.request(
        "POST",
        f"{PREFIX}/invocation/{request_id}/response",
        body=json.dumps({"statusCode": 200, "body": body}),
    )
    connection.getresponse().read()
    connection.close()
