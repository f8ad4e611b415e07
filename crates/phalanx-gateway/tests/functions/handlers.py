"""Python handlers for tests/runtime_api.rs, run by AWS's runtime interface
client (`python -m awslambdaric handlers.NAME`)."""

import os
import time


def echo(event, context):
    """Returns the event with what the Lambda context says about the call."""
    return {
        "event": event,
        "requestId": context.aws_request_id,
        "functionArn": context.invoked_function_arn,
        "functionName": context.function_name,
        "memoryLimitInMB": context.memory_limit_in_mb,
        "remainingMs": context.get_remaining_time_in_millis(),
        "logStreamName": context.log_stream_name,
        "pid": os.getpid(),
    }


def fail(event, context):
    """A handled exception: awslambdaric posts it to /error."""
    raise ValueError("bad input: " + str(event.get("why")))


def work(event, context):
    """Sleeps `sleep` seconds, or dies with `os._exit(exit)`, then reports
    which process ran it."""
    print("working on", context.aws_request_id)
    if "exit" in event:
        os._exit(event["exit"])
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid()}


def environment(event, context):
    """The environment variables named in the event."""
    return {name: os.environ.get(name) for name in event["names"]}


def side_effect(event, context):
    """A Lambda proxy handler with a side effect at its end: sleeps
    `?sleep=` seconds, then writes its pid to the file `?marker=` names.
    Answers with its pid, so a test can tell whether a process was reused."""
    query = event.get("queryStringParameters") or {}
    time.sleep(float(query.get("sleep", "0")))
    if "marker" in query:
        with open(query["marker"], "w") as marker:
            marker.write(str(os.getpid()))
    return {"statusCode": 200, "body": str(os.getpid())}
