"""A real OpenID Provider (npm ``oidc-provider``, pinned in package.json) on 127.0.0.1.

A certified OP issues tokens the way production IdPs do (RFC 9068 ``at+jwt`` access tokens,
discovery, JWKS, ID tokens from a real authorization-code + PKCE flow), which hand-minted tokens
can't prove. Keys are generated at every start, so :meth:`OidcProvider.restart` is a key rotation.

Installed with ``npm ci`` into the git-ignored ``.tools/oidc-provider`` (by ``make test`` or
lazily here); run ``python -m servers.oidc_provider`` from ``tests/`` to install only.
"""

from __future__ import annotations

import base64
import fcntl
import gc
import hashlib
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from .environ import child_environment, loopback_session, no_proxy_for_loopback
from .process import ServerProcess

SERVERS_DIR = Path(__file__).resolve().parent
TOOLS_DIR = SERVERS_DIR.parents[1] / ".tools" / "oidc-provider"
INSTALL_FILES = ("package.json", "package-lock.json")
SCRIPT = "provider.mjs"

API_AUDIENCE = "https://api.example.com"
#: The resource whose access tokens are opaque (introspection tests).
OPAQUE_AUDIENCE = "urn:example:opaque-api"
CLIENT_SECRET = "local-test-client-secret"
#: A redirect URI nothing listens on: the code is read from the Location header instead.
REDIRECT_URI = "http://127.0.0.1:9/cb"
#: The script signs with the algorithm tied to the client (see provider.mjs).
M2M_CLIENTS = {"RS256": "m2m", "ES256": "m2m-es256"}
WEB_CLIENTS = {"RS256": "web", "ES256": "web-es256"}
#: Introspecting clients by their authentication method ("rs-jwt" holds ``client_key``).
INTROSPECTION_CLIENTS = {
    "client_secret_basic": "m2m",
    "client_secret_post": "rs-post",
    "private_key_jwt": "rs-jwt",
}


class ToolMissingError(RuntimeError):
    """Node.js or npm is not installed."""


def install(tools_dir: Path = TOOLS_DIR) -> Path:
    """Install the pinned provider once per lock-file content; return the script to run.

    A file lock serialises concurrent test runs sharing one checkout: ``npm ci`` empties
    ``node_modules`` first and would break a provider another run is starting.
    """
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise ToolMissingError("Node.js 20+ with npm is needed for the oidc_provider fixture")
    tools_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = hashlib.sha256(
        b"".join((SERVERS_DIR / name).read_bytes() for name in INSTALL_FILES)
    ).hexdigest()
    stamp = tools_dir / ".installed"
    with (tools_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        installed = (tools_dir / "node_modules" / "oidc-provider").is_dir()
        if not installed or not stamp.is_file() or stamp.read_text() != fingerprint:
            for name in INSTALL_FILES:
                shutil.copyfile(SERVERS_DIR / name, tools_dir / name)
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                cwd=tools_dir,
                stdin=subprocess.DEVNULL,
                check=True,
            )
            stamp.write_text(fingerprint)
        _replace_if_changed(SERVERS_DIR / SCRIPT, tools_dir / SCRIPT)
    return tools_dir / SCRIPT


def _replace_if_changed(source: Path, target: Path) -> None:
    """Copy atomically: a provider starting in another run must never read half a script."""
    content = source.read_bytes()
    if target.is_file() and target.read_bytes() == content:
        return
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    partial.write_bytes(content)
    partial.replace(target)


class OidcProvider:
    """Controls one provider process; every token it hands out is passed to ``on_token``."""

    api_audience = API_AUDIENCE
    opaque_audience = OPAQUE_AUDIENCE
    client_secret = CLIENT_SECRET

    def __init__(
        self, script: Path, log_path: Path, on_token: Callable[[str], object] | None = None
    ) -> None:
        self.script = script
        self.log_path = log_path
        self.on_token = on_token
        self._process: ServerProcess | None = None
        self._issuer: str | None = None
        self._http = loopback_session()
        # private_key_jwt client "rs-jwt": the same key across restarts, like a real client's
        from authorizers.testing.signing_keys import SigningKey  # noqa: PLC0415

        self.client_key = SigningKey.generate("RS256", "rs-jwt-key")

    @property
    def issuer(self) -> str:
        if self._issuer is None:
            raise RuntimeError("the provider is not running")
        return self._issuer

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def port(self) -> int:
        port = urlsplit(self.issuer).port
        assert port is not None
        return port

    def start(self, port: int = 0) -> None:
        process = ServerProcess(
            ["node", self.script.name],
            cwd=self.script.parent,
            log_path=self.log_path,
            env=child_environment(
                {
                    "PORT": str(port),
                    "API_AUDIENCE": API_AUDIENCE,
                    "CLIENT_SECRET": CLIENT_SECRET,
                    "OPAQUE_AUDIENCE": OPAQUE_AUDIENCE,
                    "INTROSPECTION_CLIENT_JWKS": json.dumps({"keys": [self.client_key.public_jwk]}),
                    "REDIRECT_URI": REDIRECT_URI,
                    "EXIT_ON_STDIN_EOF": "1",
                    **no_proxy_for_loopback(),
                }
            ),
            keep_stdin_open=True,
        )
        process.start()
        try:
            self._issuer = process.wait_for_output(r"READY (http://127\.0\.0\.1:\d+)\n").group(1)
        except BaseException:
            process.stop()
            raise
        self._process = process

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def restart(self) -> None:
        """New process on the same port: same issuer, freshly generated keys.

        Validators of earlier tests that share a process-wide JWKS cache with later ones are
        collected first: a cache outlives its validator until the garbage collector runs (it
        is held weakly), and one still holding the old keys, fetched under its cooldown,
        would refuse the new kids of the next test's fresh validator.
        """
        gc.collect()
        port = self.port
        self.stop()
        self.start(port)

    def discovery(self) -> dict[str, Any]:
        return self._get_json(self.discovery_url)

    def jwks(self) -> dict[str, Any]:
        return self._get_json(self.discovery()["jwks_uri"])

    def token(
        self, scope: str = "api:read", alg: str = "RS256", resource: str = API_AUDIENCE
    ) -> str:
        """A client-credentials access token: an RFC 9068 JWT for ``api_audience``, or an
        opaque one for ``resource=OPAQUE_AUDIENCE``."""
        response = self._http.post(
            f"{self.issuer}/token",
            auth=(M2M_CLIENTS[alg], CLIENT_SECRET),
            data={"grant_type": "client_credentials", "scope": scope, "resource": resource},
            timeout=10,
        )
        return self._issued(response.json(), "access_token")

    def dpop_token(self, proof: str, scope: str = "api:read", alg: str = "ES256") -> str:
        """A client-credentials access token bound to the key of ``proof`` (RFC 9449 §5): a
        DPoP proof of ``POST <issuer>/token``; the provider's ``dPoP`` feature is on."""
        response = self._http.post(
            f"{self.issuer}/token",
            auth=(M2M_CLIENTS[alg], CLIENT_SECRET),
            headers={"DPoP": proof},
            data={"grant_type": "client_credentials", "scope": scope, "resource": API_AUDIENCE},
            timeout=10,
        )
        body = response.json()
        if body.get("token_type") != "DPoP":
            raise RuntimeError(f"not a DPoP token: {body.get('error')} {body.get('token_type')}")
        return self._issued(body, "access_token")

    def id_token(
        self, alg: str = "RS256", login: str = "alice", scope: str = "openid email"
    ) -> str:
        """An ID token from the authorization-code flow with PKCE, signed with ``alg``.

        The built-in dev login and consent pages are driven by hand, following each redirect
        until the provider sends us to ``REDIRECT_URI`` with the code.
        """
        client_id = WEB_CLIENTS[alg]
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        http = loopback_session()  # its own cookie jar: one login per call
        location = self._follow(
            http,
            http.get(
                f"{self.issuer}/auth",
                params={
                    "client_id": client_id,
                    "response_type": "code",
                    "scope": scope,
                    "redirect_uri": REDIRECT_URI,
                    "code_challenge": challenge.rstrip(b"=").decode(),
                    "code_challenge_method": "S256",
                    "state": secrets.token_urlsafe(8),
                    "nonce": secrets.token_urlsafe(8),
                },
                allow_redirects=False,
                timeout=10,
            ),
            login,
        )
        code = parse_qs(urlsplit(location).query)["code"][0]
        response = http.post(
            f"{self.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
                "client_id": client_id,
                "client_secret": CLIENT_SECRET,
            },
            timeout=10,
        )
        return self._issued(response.json(), "id_token")

    def opaque_token(self, scope: str = "api:read") -> str:
        """A client-credentials access token of client ``m2m`` the provider keeps opaque."""
        return self.token(scope, resource=OPAQUE_AUDIENCE)

    def revoke(self, token: str, client_id: str = "m2m") -> None:
        """RFC 7009 revocation at the provider, by the client the token was issued to."""
        response = self._http.post(
            self.discovery()["revocation_endpoint"],
            auth=(client_id, CLIENT_SECRET),
            data={"token": token, "token_type_hint": "access_token"},
            timeout=10,
        )
        response.raise_for_status()

    def _follow(self, http: requests.Session, response: requests.Response, login: str) -> str:
        """Walk the login and consent interactions; return the final redirect to the client."""
        for _ in range(10):
            if response.status_code not in (302, 303):
                raise RuntimeError(f"authorization flow stopped with HTTP {response.status_code}")
            location = urljoin(f"{self.issuer}/", str(response.headers["Location"]))
            if location.startswith(REDIRECT_URI):
                return location
            if urlsplit(location).path.startswith("/interaction/"):
                page = http.get(location, timeout=10).text
                form = (
                    {"prompt": "login", "login": login, "password": "any"}
                    if 'value="login"' in page
                    else {"prompt": "consent"}
                )
                response = http.post(location, data=form, allow_redirects=False, timeout=10)
            else:
                response = http.get(location, allow_redirects=False, timeout=10)
        raise RuntimeError("authorization flow did not finish after 10 redirects")

    def _issued(self, body: dict[str, Any], field: str) -> str:
        if field not in body:
            # The error code and description are safe to show: no token, no client secret.
            raise RuntimeError(f"no {field}: {body.get('error')}: {body.get('error_description')}")
        token = str(body[field])
        if self.on_token is not None:
            self.on_token(token)
        return token

    def _get_json(self, url: str) -> dict[str, Any]:
        response = self._http.get(url, timeout=10)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


if __name__ == "__main__":
    print(f"oidc-provider ready: {install().parent}")
