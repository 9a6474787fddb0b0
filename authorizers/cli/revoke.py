"""``authorizers revoke``: add an entry to the DynamoDB revocation table.

``--jti`` revokes one token, ``--origin-jti`` every token of one Cognito sign-in, ``--subject``
every token of a user (with ``--before``: those issued before a moment - "log out
everywhere"). The entry's ``expires_at`` (the table's TTL attribute) is when the revoked tokens
have expired anyway: ``--before`` (or now) plus ``--token-lifetime``, unless ``--expires-at``
says otherwise; a subject revoked without ``--before`` stays until ``--expires-at`` (or for
good). Never pass a token itself: only its ids.
"""

from __future__ import annotations

import argparse
import json
import time

from authorizers.cli import EXIT_OK, CliError
from authorizers.keystores.base import epoch_seconds

DAY = 86_400


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", required=True, help="the revocation table's name")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--jti", help="revoke the token with this jti")
    target.add_argument("--origin-jti", help="revoke every token of one Cognito sign-in")
    target.add_argument("--subject", help="revoke a subject's tokens (see --before)")
    parser.add_argument(
        "--before", metavar="TIME", help="with --subject: only tokens issued before TIME ('now')"
    )
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=DAY,
        metavar="SECONDS",
        help="longest lifetime of the revoked tokens: sets the entry's TTL (default one day)",
    )
    parser.add_argument("--expires-at", metavar="TIME", help="when the entry may be deleted")
    parser.add_argument("--reason", default="", help="a note stored with the entry")
    parser.add_argument("--partition-key", default="pk")
    parser.add_argument("--region")
    parser.add_argument("--endpoint-url", help="e.g. a local DynamoDB")


def parse_time(text: str, flag: str, now: float) -> float:
    """Epoch seconds, ISO 8601 with a UTC offset (as key records read them), or ``now``."""
    if text == "now":
        return now
    try:
        seconds = epoch_seconds(text, flag)
    except ValueError:
        seconds = None
    if seconds is None:
        raise CliError(f"{flag} {text!r}: give epoch seconds, ISO 8601 with an offset, or 'now'")
    return seconds


def run(args: argparse.Namespace) -> int:
    from authorizers.keystores.aws import AwsClientSettings  # noqa: PLC0415 - lazy boto3
    from authorizers.revocation.base import RevokedBy, revocation_key  # noqa: PLC0415
    from authorizers.revocation.dynamodb import DynamoDBRevocations  # noqa: PLC0415

    now = time.time()
    if args.before is not None and args.subject is None:
        raise CliError("--before applies to --subject only")
    if args.token_lifetime <= 0:
        raise CliError("--token-lifetime must be positive")
    kind, value = next(
        (kind, value)
        for kind, value in (
            (RevokedBy.JTI, args.jti),
            (RevokedBy.ORIGIN_JTI, args.origin_jti),
            (RevokedBy.SUBJECT, args.subject),
        )
        if value is not None
    )
    try:
        key = revocation_key(kind, value)
    except ValueError as error:
        raise CliError(str(error)) from None
    before = None if args.before is None else parse_time(args.before, "--before", now)
    if args.expires_at is not None:
        expires_at: float | None = parse_time(args.expires_at, "--expires-at", now)
    elif kind is RevokedBy.SUBJECT and before is None:
        expires_at = None  # every token of the subject, for good: delete the entry to undo
    else:
        expires_at = (before if before is not None else now) + args.token_lifetime
    store = DynamoDBRevocations(
        args.table,
        partition_key=args.partition_key,
        settings=AwsClientSettings(region_name=args.region, endpoint_url=args.endpoint_url),
    )
    try:
        store.put(key, expires_at=expires_at, before=before, reason=args.reason)
    except Exception as error:  # botocore: the message names the table and the failure
        raise CliError(f"could not write to {args.table}: {error}") from None
    entry = {
        "pk": key,
        "before": before,
        "expires_at": None if expires_at is None else int(expires_at),
    }
    print(json.dumps(entry))
    return EXIT_OK
