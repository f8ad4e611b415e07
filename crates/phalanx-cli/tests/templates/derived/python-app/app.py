"""A handler run from its own folder (the template's `Code: python-app`)."""

import json
import os


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(
            {
                "from": "folder",
                "name": event["pathParameters"]["name"],
                "task_root": os.path.basename(os.environ.get("LAMBDA_TASK_ROOT", "")),
            }
        ),
    }
