"""Mutual TLS for the local gateway, the way API Gateway does it for a custom domain.

API Gateway ends TLS, requires a client certificate that chains to the domain's truststore,
and passes it to the authorizer (REST ``requestContext.identity.clientCert``, HTTP API
``requestContext.authentication.clientCert``). ``authorizers serve --tls-cert --tls-key
--truststore`` does the same on 127.0.0.1, so certificate-bound tokens (RFC 8705) can be tested
with a real client presenting a real certificate.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class MutualTls:
    """The server's certificate and key, and the CA bundle client certificates must chain to."""

    cert_file: Path
    key_file: Path
    truststore_file: Path

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        context.load_verify_locations(self.truststore_file)
        context.verify_mode = ssl.CERT_REQUIRED  # no certificate, no request (API Gateway: 403)
        return context


def client_cert_block(pem: str) -> dict[str, Any]:
    """The event's ``clientCert`` block for a verified client certificate."""
    from cryptography import x509  # noqa: PLC0415 - only with mutual TLS

    from authorizers.testing.certificates import certificate_block  # noqa: PLC0415

    return certificate_block(x509.load_pem_x509_certificate(pem.encode("ascii")), pem)
