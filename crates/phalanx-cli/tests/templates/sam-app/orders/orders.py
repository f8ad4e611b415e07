import json


def handler(event, context):
    order = json.loads(event["body"])
    return {
        "statusCode": 201,
        "headers": {"Access-Control-Allow-Origin": "*"},
        "body": json.dumps({"ordered": order["item"]}),
    }
