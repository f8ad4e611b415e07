import json
import os


def lambda_handler(event, context):
    return {
        "statusCode": 200,
        "body": json.dumps(
            {"message": os.environ["GREETING"] + " world", "stage": event["requestContext"]["stage"]}
        ),
    }
