"""Staff sign-in as issue 3 asks: `medexpress staff add` creates the first administrator with a
client certificate and a TOTP secret; signing in needs all three (the certificate on the
connection, the password, a current code, each code once), and the token works only on a
connection presenting that certificate (RFC 8705).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import subprocess
import time
import urllib.parse

import grpc
import pytest

import medexpress_protos
import targets
from test_serve import start_serve, stop_cleanly

TIMEOUT = 30.0
PASSWORD = "a long staff password"


def totp(secret_base32: str, at: float, step_offset: int = 0) -> str:
    """RFC 6238 with SHA-1, 30-second steps, 6 digits."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    counter = int(at // 30) + step_offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("medexpress-staff")
    binary = targets.require_medexpress()
    added = subprocess.run(
        [str(binary), "staff", "add", "--data-dir", str(data_dir), "--role", "ADMIN", "--username", "alice",
         "--given-name", "Alice", "--family-name", "Admin", "--email", "alice@medexpress.example"],
        env={**os.environ, "MEDEXPRESS_STAFF_PASSWORD": PASSWORD}, capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    uri = next(line for line in added.stdout.splitlines() if line.startswith("TOTP: ")).removeprefix("TOTP: ")
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    assert uri.startswith("otpauth://totp/MedExpress:alice?")
    assert (data_dir / "staff" / "alice.key").stat().st_mode & 0o077 == 0

    server = start_serve(data_dir)
    yield server, data_dir, secret
    stop_cleanly(server)


def channel(server, data_dir, with_certificate: bool) -> grpc.Channel:
    root = (data_dir / "tls" / "ca.pem").read_bytes()
    if with_certificate:
        credentials = grpc.ssl_channel_credentials(root_certificates=root,
                                                   private_key=(data_dir / "staff" / "alice.key").read_bytes(),
                                                   certificate_chain=(data_dir / "staff" / "alice.pem").read_bytes())
    else:
        credentials = grpc.ssl_channel_credentials(root_certificates=root)
    return grpc.secure_channel(server.endpoint.address, credentials)


def login(protos, stub, code: str):
    return stub.Login(protos.auth_pb2.LoginRequest(username="alice", password=PASSWORD, totp_code=code), timeout=TIMEOUT)


def test_staff_sign_in_needs_certificate_password_and_a_fresh_code(deployment):
    server, data_dir, secret = deployment
    protos = medexpress_protos.load()
    with channel(server, data_dir, with_certificate=True) as mtls, channel(server, data_dir, with_certificate=False) as plain:
        staff = protos.auth_pb2_grpc.AuthServiceStub(mtls)
        anyone = protos.auth_pb2_grpc.AuthServiceStub(plain)

        with pytest.raises(grpc.RpcError) as no_certificate:
            login(protos, anyone, totp(secret, time.time()))
        assert no_certificate.value.code() == grpc.StatusCode.UNAUTHENTICATED

        with pytest.raises(grpc.RpcError) as wrong_code:
            login(protos, staff, totp(secret, time.time(), step_offset=5))
        assert wrong_code.value.code() == grpc.StatusCode.UNAUTHENTICATED

        # A code of the next step: the previous one may have been spent by the attempt above.
        code = totp(secret, time.time(), step_offset=1)
        session = login(protos, staff, code)
        assert session.subject_id.startswith("stf_")
        assert session.role == protos.common_pb2.ADMIN
        assert len(session.certificate_thumbprint) == 64

        with pytest.raises(grpc.RpcError) as replay:
            login(protos, staff, code)
        assert replay.value.code() == grpc.StatusCode.UNAUTHENTICATED

        bearer = (("authorization", f"Bearer {session.access_token}"),)
        with pytest.raises(grpc.RpcError) as stolen:
            anyone.Logout(protos.auth_pb2.LogoutRequest(), metadata=bearer, timeout=TIMEOUT)
        assert stolen.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "certificate" in stolen.value.details()

        ended = staff.Logout(protos.auth_pb2.LogoutRequest(), metadata=bearer, timeout=TIMEOUT)
        assert ended.sessions_ended == 1

    verified = subprocess.run([str(targets.require_medexpress()), "audit", "verify", "--data-dir", str(data_dir)],
                              capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout


def test_a_service_account_is_authenticated_by_its_certificate_alone(tmp_path):
    binary = str(targets.require_medexpress())
    added = subprocess.run([binary, "service-account", "add", "--data-dir", str(tmp_path), "--name", "pharmacy-pms",
                            "--role", "PHARMACY_SYSTEM"], capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "service-accounts" / "pharmacy-pms.key").stat().st_mode & 0o077 == 0
    server = start_serve(tmp_path)
    try:
        protos = medexpress_protos.load()
        root = (tmp_path / "tls" / "ca.pem").read_bytes()
        with grpc.secure_channel(server.endpoint.address, grpc.ssl_channel_credentials(
                root_certificates=root,
                private_key=(tmp_path / "service-accounts" / "pharmacy-pms.key").read_bytes(),
                certificate_chain=(tmp_path / "service-accounts" / "pharmacy-pms.pem").read_bytes())) as account, \
             grpc.secure_channel(server.endpoint.address, grpc.ssl_channel_credentials(root_certificates=root)) as anonymous:
            # Logout is for people: the integration is recognised (PERMISSION_DENIED names its
            # role) where a caller without the certificate is not (UNAUTHENTICATED).
            with pytest.raises(grpc.RpcError) as recognised:
                protos.auth_pb2_grpc.AuthServiceStub(account).Logout(protos.auth_pb2.LogoutRequest(), timeout=TIMEOUT)
            assert recognised.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "PHARMACY_SYSTEM" in recognised.value.details()
            with pytest.raises(grpc.RpcError) as unknown:
                protos.auth_pb2_grpc.AuthServiceStub(anonymous).Logout(protos.auth_pb2.LogoutRequest(), timeout=TIMEOUT)
            assert unknown.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        stop_cleanly(server)
