"""A custom runtime written against the Runtime API with the standard
library only, to probe what awslambdaric never does: wrong ids, unknown
paths, wrong methods, non-JSON error bodies, oversized responses, exiting
right after answering.

Each invocation's event is {"mode": ...}; "probe" answers with what the
API said to this process so far (statuses and bodies)."""

import http.client
import json
import os

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"


def call(method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(API)
    connection.request(method, PREFIX + path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = data.decode("utf-8", "replace")
    return {"status": response.status, "body": parsed}, response, data


seen = {"previousPost": None, "previousId": None}

while True:
    _, next_response, event_body = call("GET", "/invocation/next")
    request_id = next_response.getheader("Lambda-Runtime-Aws-Request-Id")
    event = json.loads(event_body)
    mode = event.get("mode")
    if mode == "probe":
        headers = {
            name: next_response.getheader(name)
            for name in (
                "Lambda-Runtime-Aws-Request-Id",
                "Lambda-Runtime-Deadline-Ms",
                "Lambda-Runtime-Invoked-Function-Arn",
                "Lambda-Runtime-Trace-Id",
                "Content-Type",
            )
        }
        report = {
            "headers": headers,
            "previousPost": seen["previousPost"],
            "unknownId": call("POST", "/invocation/no-such-id/response", b"{}")[0],
            "unknownPath": call("GET", "/nope")[0],
            "outsideApi": call("GET", "/../../elsewhere")[0],
            "wrongMethod": call("POST", "/invocation/next", b"")[0],
        }
        if seen["previousId"]:
            report["repeatPost"] = call(
                "POST", "/invocation/%s/response" % seen["previousId"], b"{}"
            )[0]
        body = json.dumps(report).encode()
        result, _, _ = call("POST", "/invocation/%s/response" % request_id, body)
    elif mode == "text-error":
        result, _, _ = call(
            "POST",
            "/invocation/%s/error" % request_id,
            b"plain text failure",
            {"Lambda-Runtime-Function-Error-Type": "Custom.Text"},
        )
    elif mode == "huge":
        body = b'"' + b"x" * (7 * 1024 * 1024) + b'"'
        result, _, _ = call("POST", "/invocation/%s/response" % request_id, body)
    elif mode == "answer-and-exit":
        result, _, _ = call(
            "POST",
            "/invocation/%s/response" % request_id,
            json.dumps({"pid": os.getpid()}).encode(),
        )
        os._exit(0)
    else:
        result, _, _ = call(
            "POST",
            "/invocation/%s/response" % request_id,
            json.dumps({"pid": os.getpid()}).encode(),
        )
    seen["previousPost"] = result
    seen["previousId"] = request_id
