"""Handlers of the petstore example, run by AWS's Python runtime interface
client (awslambdaric) against Phalanx's Lambda Runtime API host."""

import json
import os
import time
import uuid


def create_item(event, context):
    """POST /items (non-proxy): the event is the request template's output."""
    name = event.get("name")
    if name == "crash":
        os._exit(1)
    if not isinstance(name, str) or not name.strip():
        raise ValueError("Invalid item: a non-empty name is required")
    item_id = uuid.uuid5(uuid.NAMESPACE_URL, name).hex[:8]
    return {"id": item_id, "name": name, "location": f"/{event['stage']}/items/{item_id}"}


def hello(event, context):
    """ANY /hello/{name} and GET /slow (proxy): the event is API Gateway's
    proxy event."""
    if event.get("resource") == "/slow":
        time.sleep(1)
    name = (event.get("pathParameters") or {}).get("name", "world")
    if name == "crash":
        os._exit(3)
    if name == "malformed":
        return {"statusCode": 200, "body": {"not": "a string"}}
    greeting = (event.get("stageVariables") or {}).get("greeting", "Hi")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Function": context.function_name},
        "body": json.dumps({
            "message": f"{greeting}, {name}!",
            "method": event["httpMethod"],
            "query": event.get("queryStringParameters"),
        }),
    }
