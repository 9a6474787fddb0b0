"""X.509 test certificates for mutual TLS: a private CA and the client certificates it signs.

``ca = TestCa()``; ``cert = ca.issue("client-a")``; bind a token with
``claims={"cnf": cert.cnf}`` and put ``cert.event_block()`` into an event
(``request_event(..., client_cert=cert.event_block())``), or serve the local gateway with TLS
and present ``cert.write(folder)``'s files from a real client.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from authorizers.testing.events import client_certificate
from authorizers.testing.signing_keys import b64url

_START = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
_END = datetime.datetime(2040, 1, 1, tzinfo=datetime.UTC)
_DATE = "%b %d %H:%M:%S %Y GMT"  # the validity format API Gateway uses


def certificate_block(cert: x509.Certificate, pem: str) -> dict[str, Any]:
    """The event's ``clientCert`` block for ``cert`` (``pem`` its PEM text), as API Gateway
    builds it: here for test certificates, in the local gateway for a presented one."""
    return client_certificate(
        pem=pem,
        subject_dn=cert.subject.rfc4514_string(),
        issuer_dn=cert.issuer.rfc4514_string(),
        serial_number=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc.strftime(_DATE),
        not_after=cert.not_valid_after_utc.strftime(_DATE),
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
        ]
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class TestCertificate:
    """A certificate and its private key."""

    __test__ = False

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def x5t_s256(self) -> str:
        """RFC 8705 thumbprint: base64url SHA-256 of the DER certificate."""
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return b64url(hashlib.sha256(der).digest())

    @property
    def cnf(self) -> dict[str, str]:
        return {"x5t#S256": self.x5t_s256}

    def event_block(self) -> dict[str, Any]:
        """The ``clientCert`` block API Gateway puts into the event for this certificate."""
        return certificate_block(self.certificate, self.pem)

    def write(self, folder: Path, name: str) -> tuple[Path, Path]:
        """``<name>.pem`` and ``<name>.key`` in ``folder``: (certificate, key)."""
        cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
        cert_path.write_text(self.pem)
        key_path.write_bytes(_key_pem(self.key))
        return cert_path, key_path


_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


class TestCa(TestCertificate):
    """A self-signed CA that issues client and server certificates."""

    __test__ = False

    def __init__(self, common_name: str = "Example Test CA") -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = self._builder(_name(common_name), _name(common_name), key)
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        # What strict X.509 verification (Python 3.13+ default contexts) requires of a CA.
        builder = builder.add_extension(_CA_KEY_USAGE, True).add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        )
        super().__init__(builder.sign(key, hashes.SHA256()), key)

    @staticmethod
    def _builder(
        subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_START)
            .not_valid_after(_END)
        )

    def issue(self, common_name: str, *, server_names: tuple[str, ...] = ()) -> TestCertificate:
        """A certificate for ``common_name``; ``server_names``: DNS/IP names of a server."""
        key = ec.generate_private_key(ec.SECP256R1())
        builder = self._builder(_name(common_name), self.certificate.subject, key)
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        builder = builder.add_extension(  # strict verification wants the issuer's key named
            x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
        )
        if server_names:
            import ipaddress  # noqa: PLC0415

            names: list[x509.GeneralName] = []
            for name in server_names:
                try:
                    names.append(x509.IPAddress(ipaddress.ip_address(name)))
                except ValueError:
                    names.append(x509.DNSName(name))
            builder = builder.add_extension(x509.SubjectAlternativeName(names), False)
        return TestCertificate(builder.sign(self.key, hashes.SHA256()), key)
