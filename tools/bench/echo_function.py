"""Echo function for the Runtime API benchmark (run by awslambdaric)."""


def handler(event, context):
    return event
