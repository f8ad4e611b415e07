"""A Lambda authorizer allowing every method (crates/phalanx-cli/tests/serve.rs
serves the bookshelf OpenAPI document, whose `librarian` scheme names it)."""


def handler(event, context):
    return {
        "principalId": "reader",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}],
        },
    }
