"""A throw-away certificate authority and server certificate, made with the openssl CLI.

The server certificate carries subjectAltName DNS:localhost and IP:127.0.0.1, so clients may
verify either name. Nothing here is reused between test sessions.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SERVER_NAMES = "DNS:localhost,IP:127.0.0.1"
VALIDITY_DAYS = 2


@dataclass(frozen=True)
class TestPKI:
    """Paths of a CA certificate and a server certificate and key signed by it."""

    ca_cert: Path
    server_cert: Path
    server_key: Path

    def ca_pem(self) -> bytes:
        return self.ca_cert.read_bytes()


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{result.stderr}")


def make_test_pki(directory: Path) -> TestPKI:
    """Creates ca.pem, server.pem and server.key (EC P-256) in directory."""
    if shutil.which("openssl") is None:
        raise RuntimeError("the openssl command-line tool is required for the TLS tests")
    directory.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", str(VALIDITY_DAYS),
        "-subj", "/CN=MedExpress test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )
    _openssl(
        "req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost",
        cwd=directory,
    )
    (directory / "server.ext").write_text(
        f"subjectAltName={SERVER_NAMES}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", str(VALIDITY_DAYS), "-extfile", "server.ext",
        cwd=directory,
    )
    (directory / "server.key").chmod(0o600)
    return TestPKI(directory / "ca.pem", directory / "server.pem", directory / "server.key")
