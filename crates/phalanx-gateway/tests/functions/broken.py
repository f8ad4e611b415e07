"""A module that cannot be imported: awslambdaric reports
Runtime.ImportModuleError through /runtime/init/error, then exits."""

import phalanx_no_such_module  # noqa: F401


def handler(event, context):
    return "unreachable"
