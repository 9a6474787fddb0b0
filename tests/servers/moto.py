"""moto in server mode: AWS APIs (Cognito, DynamoDB, Secrets Manager, SSM) on 127.0.0.1.

Server mode rather than ``mock_aws()`` because the code under test then talks real HTTP through
botocore, exactly as it does in Lambda; and the JWKS of a moto user pool can be fetched over
HTTP like a real one (see ``cognito_jwks_url``; note moto puts the real AWS URL in ``iss``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from .environ import EnvOverrides, child_environment, loopback_session, no_proxy_for_loopback
from .process import ServerProcess

REGION = "us-east-1"

#: Fake credentials and a pinned region for boto3, with every way of picking up the caller's real
#: AWS configuration closed (profiles, config files, instance metadata).
FAKE_AWS_ENV: EnvOverrides = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_PROFILE": None,
    "AWS_DEFAULT_PROFILE": None,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ENDPOINT_URL": None,
}


@dataclass
class MotoServer:
    """A running moto server. ``endpoint_url`` is what boto3 clients are pointed at."""

    endpoint_url: str
    process: ServerProcess
    region: str = REGION

    def __str__(self) -> str:
        return self.endpoint_url

    @property
    def environ(self) -> EnvOverrides:
        """Makes every boto3 client created without ``endpoint_url`` talk to this server."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url}

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` bound to this server (boto3 is imported lazily)."""
        import boto3  # noqa: PLC0415 - keeps boto3's import cost out of suites that never use it

        return boto3.client(
            service,  # type: ignore[call-overload]  # any service name
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def reset(self) -> None:
        """Forget every resource (pools, tables, secrets) created so far."""
        response = loopback_session().post(f"{self.endpoint_url}/moto-api/reset", timeout=10)
        response.raise_for_status()

    def cognito_jwks_url(self, user_pool_id: str) -> str:
        return f"{self.endpoint_url}/{user_pool_id}/.well-known/jwks.json"

    def stop(self) -> None:
        self.process.stop()


def start_moto_server(log_path: Path, python: str = sys.executable) -> MotoServer:
    """Start ``python -m moto.server`` on a free loopback port and wait until it answers."""
    process = ServerProcess(
        [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
        log_path=log_path,
        env=child_environment({**FAKE_AWS_ENV, **no_proxy_for_loopback()}),
    )
    process.start()
    try:
        # Port 0: the OS picks the port and werkzeug announces the one it bound (no race).
        port = process.wait_for_output(r"Running on http://127\.0\.0\.1:(\d+)").group(1)
        server = MotoServer(endpoint_url=f"http://127.0.0.1:{port}", process=process)
        process.wait_until(lambda: _answers(server.endpoint_url), 30, "answer on /moto-api/")
    except BaseException:
        process.stop()
        raise
    return server


def _answers(endpoint_url: str) -> bool:
    try:
        return loopback_session().get(f"{endpoint_url}/moto-api/", timeout=2).ok
    except requests.ConnectionError:
        return False
