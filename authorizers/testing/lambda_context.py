"""A stand-in for the Lambda context object, for calling a handler outside Lambda.

``authorizers invoke``, the local gateway and tests pass it where Lambda would pass its own.
"""

from __future__ import annotations

import uuid


class LambdaContext:
    """The attributes handlers (and Powertools) read from the Lambda context object."""

    function_name = "authorizer"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
    log_group_name = "/aws/lambda/authorizer"
    log_stream_name = "local"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
