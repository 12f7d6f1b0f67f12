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
import sqlite3
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


def sign_in(protos, stub, username: str, password: str, secret: str):
    return stub.Login(protos.auth_pb2.LoginRequest(username=username, password=password,
                                                   totp_code=totp(secret, time.time(), step_offset=1)), timeout=TIMEOUT)


def add_staff(data_dir, username: str, role: str, password: str) -> str:
    """Adds a member of staff with `medexpress staff add` (a prescriber with a registration and an
    address); returns their TOTP secret."""
    prescriber = ["--registering-body", "GMC", "--registration-number", "7654321", "--profession", "GP",
                  "--address", "1 Surgery Row", "--town", "Bath", "--postcode", "BA1 1AA"] if role == "PRESCRIBER" else []
    added = subprocess.run(
        [str(targets.require_medexpress()), "staff", "add", "--data-dir", str(data_dir), "--role", role, "--username", username,
         "--given-name", username.title(), "--family-name", "Staff", "--email", f"{username}@medexpress.example", *prescriber],
        env={**os.environ, "MEDEXPRESS_STAFF_PASSWORD": password}, capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    uri = next(line for line in added.stdout.splitlines() if line.startswith("TOTP: ")).removeprefix("TOTP: ")
    return urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]


def mtls_channel(server, data_dir, username: str) -> grpc.Channel:
    return grpc.secure_channel(server.endpoint.address, grpc.ssl_channel_credentials(
        root_certificates=(data_dir / "tls" / "ca.pem").read_bytes(),
        private_key=(data_dir / "staff" / f"{username}.key").read_bytes(),
        certificate_chain=(data_dir / "staff" / f"{username}.pem").read_bytes()))


def test_an_administrator_records_an_identity_check_and_disables_a_colleague(tmp_path):
    admin_secret = add_staff(tmp_path, "ada", "ADMIN", PASSWORD)
    pharmacist_secret = add_staff(tmp_path, "percy", "PHARMACIST", PASSWORD)
    server = start_serve(tmp_path)
    protos = medexpress_protos.load()
    common = protos.common_pb2
    try:
        with mtls_channel(server, tmp_path, "ada") as admin_channel, mtls_channel(server, tmp_path, "percy") as pharmacist_channel:
            admin = protos.auth_pb2_grpc.AuthServiceStub(admin_channel)
            pharmacist = protos.auth_pb2_grpc.AuthServiceStub(pharmacist_channel)
            customer = admin.RegisterCustomer(protos.auth_pb2.RegisterCustomerRequest(
                request_id="idc-1", email="ida@example.org", password="customer password", given_name="Ida",
                family_name="Checked", date_of_birth=common.CalendarDate(year=1980, month=5, day=5), phone="+447700900777",
                address=common.PostalAddress(lines=["5 Check Lane"], town="Hull", postcode="HU1 1AA")), timeout=TIMEOUT)
            session = sign_in(protos, admin, "ada", PASSWORD, admin_secret)
            bearer = (("authorization", f"Bearer {session.access_token}"),)
            check = protos.auth_pb2.VerifyCustomerIdentityRequest(
                request_id="check-1", customer_id=customer.customer_id,
                outcome=protos.auth_pb2.VerifyCustomerIdentityRequest.VERIFIED, method="passport", notes="seen in person")
            recorded = admin.VerifyCustomerIdentity(check, metadata=bearer, timeout=TIMEOUT)
            assert recorded.customer_id == customer.customer_id
            assert admin.VerifyCustomerIdentity(check, metadata=bearer, timeout=TIMEOUT) == recorded  # idempotent

            pharmacist_session = sign_in(protos, pharmacist, "percy", PASSWORD, pharmacist_secret)
            pharmacist_bearer = (("authorization", f"Bearer {pharmacist_session.access_token}"),)
            with pytest.raises(grpc.RpcError) as not_admin:
                pharmacist.VerifyCustomerIdentity(check, metadata=pharmacist_bearer, timeout=TIMEOUT)
            assert not_admin.value.code() == grpc.StatusCode.PERMISSION_DENIED

            disabled = admin.DisableStaff(protos.auth_pb2.DisableStaffRequest(
                request_id="disable-1", staff_id=pharmacist_session.subject_id, reason="left the company"),
                metadata=bearer, timeout=TIMEOUT)
            assert disabled.disabled and disabled.username == "percy" and disabled.given_name == "Percy"
            with pytest.raises(grpc.RpcError) as ended:
                pharmacist.Logout(protos.auth_pb2.LogoutRequest(), metadata=pharmacist_bearer, timeout=TIMEOUT)
            assert ended.value.code() == grpc.StatusCode.UNAUTHENTICATED
            time.sleep(0.1)
            with pytest.raises(grpc.RpcError) as refused:
                pharmacist.Login(protos.auth_pb2.LoginRequest(username="percy", password=PASSWORD,
                                                              totp_code=totp(pharmacist_secret, time.time())), timeout=TIMEOUT)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with sqlite3.connect(tmp_path / "medexpress.sqlite3") as database:
                reason = database.execute("SELECT outcome FROM audit_log WHERE action = 'login.failed' "
                                          "ORDER BY seq DESC LIMIT 1").fetchone()
            assert reason == ("the account is disabled",)
            with pytest.raises(grpc.RpcError) as self_disable:
                admin.DisableStaff(protos.auth_pb2.DisableStaffRequest(
                    request_id="disable-2", staff_id=session.subject_id, reason="oops"), metadata=bearer, timeout=TIMEOUT)
            assert self_disable.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    finally:
        stop_cleanly(server)
    verified = subprocess.run([str(targets.require_medexpress()), "audit", "verify", "--data-dir", str(tmp_path)],
                              capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout


def test_a_member_of_staff_replaces_their_authenticator(tmp_path):
    old_secret = add_staff(tmp_path, "mira", "PHARMACIST", PASSWORD)
    server = start_serve(tmp_path)
    protos = medexpress_protos.load()
    try:
        with mtls_channel(server, tmp_path, "mira") as connection:
            stub = protos.auth_pb2_grpc.AuthServiceStub(connection)
            session = sign_in(protos, stub, "mira", PASSWORD, old_secret)
            bearer = (("authorization", f"Bearer {session.access_token}"),)
            with pytest.raises(grpc.RpcError) as early:
                stub.ConfirmMfaEnrollment(protos.auth_pb2.ConfirmMfaEnrollmentRequest(code="123456"), metadata=bearer,
                                          timeout=TIMEOUT)
            assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            begun = stub.BeginMfaEnrollment(protos.auth_pb2.BeginMfaEnrollmentRequest(), metadata=bearer, timeout=TIMEOUT)
            assert begun.provisioning_uri.startswith("otpauth://totp/MedExpress:mira?")
            new_secret = begun.secret
            assert new_secret != old_secret
            with pytest.raises(grpc.RpcError) as wrong:
                stub.ConfirmMfaEnrollment(protos.auth_pb2.ConfirmMfaEnrollmentRequest(code=totp(old_secret, time.time())),
                                          metadata=bearer, timeout=TIMEOUT)
            assert wrong.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            stub.ConfirmMfaEnrollment(protos.auth_pb2.ConfirmMfaEnrollmentRequest(code=totp(new_secret, time.time())),
                                      metadata=bearer, timeout=TIMEOUT)
            with pytest.raises(grpc.RpcError) as old_device:
                sign_in(protos, stub, "mira", PASSWORD, old_secret)
            assert old_device.value.code() == grpc.StatusCode.UNAUTHENTICATED
            again = sign_in(protos, stub, "mira", PASSWORD, new_secret)
            assert again.subject_id == session.subject_id
    finally:
        stop_cleanly(server)


def test_an_administrator_creates_a_prescriber_from_their_certificate_request(tmp_path):
    admin_secret = add_staff(tmp_path, "ada", "ADMIN", PASSWORD)
    # The new prescriber's device makes the key and the request; the key never leaves it.
    key_path, request_path = tmp_path / "rex.key", tmp_path / "rex.csr"
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=whatever-they-like", "-keyout", str(key_path), "-out", str(request_path)],
                   check=True, capture_output=True)
    server = start_serve(tmp_path)
    protos = medexpress_protos.load()
    common = protos.common_pb2
    try:
        with mtls_channel(server, tmp_path, "ada") as admin_channel:
            admin = protos.auth_pb2_grpc.AuthServiceStub(admin_channel)
            session = sign_in(protos, admin, "ada", PASSWORD, admin_secret)
            bearer = (("authorization", f"Bearer {session.access_token}"),)
            request = protos.auth_pb2.CreateStaffRequest(
                request_id="create-rex", username="rex", role=common.PRESCRIBER, given_name="Rex", family_name="Prescriber",
                email="rex@medexpress.example", initial_password="rex's long password",
                address=common.PostalAddress(lines=["2 Surgery Row"], town="Bath", postcode="BA1 2BB"),
                registration=protos.auth_pb2.ProfessionalRegistration(
                    body=protos.auth_pb2.ProfessionalRegistration.GMC, registration_number="1234567", profession="GP"),
                certificate_signing_request=request_path.read_text())
            created = admin.CreateStaff(request, metadata=bearer, timeout=TIMEOUT)
            assert created.staff.username == "rex" and created.staff.role == common.PRESCRIBER
            assert created.staff.registration.registration_number == "1234567"
            assert "BEGIN CERTIFICATE" in created.client_certificate
            assert admin.CreateStaff(request, metadata=bearer, timeout=TIMEOUT) == created  # a retry, not a second account

            garbage = protos.auth_pb2.CreateStaffRequest()
            garbage.CopyFrom(request)
            garbage.request_id, garbage.username, garbage.certificate_signing_request = "create-x", "xavier", "not a request"
            with pytest.raises(grpc.RpcError) as refused:
                admin.CreateStaff(garbage, metadata=bearer, timeout=TIMEOUT)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert refused.value.details().startswith("certificate_signing_request:")

        secret = urllib.parse.parse_qs(urllib.parse.urlparse(created.totp_provisioning_uri).query)["secret"][0]
        with grpc.secure_channel(server.endpoint.address, grpc.ssl_channel_credentials(
                root_certificates=(tmp_path / "tls" / "ca.pem").read_bytes(), private_key=key_path.read_bytes(),
                certificate_chain=created.client_certificate.encode())) as rex_channel:
            rex = sign_in(protos, protos.auth_pb2_grpc.AuthServiceStub(rex_channel), "rex", "rex's long password", secret)
            assert rex.role == common.PRESCRIBER and rex.subject_id == created.staff.staff_id
    finally:
        stop_cleanly(server)


def test_a_new_certificate_from_certs_issue_signs_in(tmp_path):
    secret = add_staff(tmp_path, "nina", "PHARMACIST", PASSWORD)
    old_certificate = (tmp_path / "staff" / "nina.pem").read_bytes()
    issued = subprocess.run([str(targets.require_medexpress()), "certs", "issue", "--data-dir", str(tmp_path), "--username", "nina"],
                            capture_output=True, text=True, timeout=60)
    assert issued.returncode == 0, issued.stderr
    assert (tmp_path / "staff" / "nina.pem").read_bytes() != old_certificate
    unknown = subprocess.run([str(targets.require_medexpress()), "certs", "issue", "--data-dir", str(tmp_path), "--username", "nobody"],
                             capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "nobody" in unknown.stderr
    server = start_serve(tmp_path)
    protos = medexpress_protos.load()
    try:
        with mtls_channel(server, tmp_path, "nina") as channel:
            session = sign_in(protos, protos.auth_pb2_grpc.AuthServiceStub(channel), "nina", PASSWORD, secret)
            assert session.subject_id.startswith("stf_")
    finally:
        stop_cleanly(server)


def test_an_administrator_queries_and_verifies_the_audit_log(tmp_path):
    secret = add_staff(tmp_path, "ava", "ADMIN", PASSWORD)
    server = start_serve(tmp_path)
    protos = medexpress_protos.load()
    try:
        with mtls_channel(server, tmp_path, "ava") as channel:
            session = sign_in(protos, protos.auth_pb2_grpc.AuthServiceStub(channel), "ava", PASSWORD, secret)
            bearer = (("authorization", f"Bearer {session.access_token}"),)
            admin = protos.admin_pb2_grpc.AdminServiceStub(channel)
            verified = admin.VerifyAuditLog(protos.admin_pb2.VerifyAuditLogRequest(), metadata=bearer, timeout=TIMEOUT)
            assert verified.intact and verified.entries >= 4

            logins = admin.QueryAuditLog(protos.admin_pb2.QueryAuditLogRequest(action="login"), metadata=bearer, timeout=TIMEOUT)
            assert [entry.actor for entry in logins.entries] == [session.subject_id]
            assert logins.entries[0].role == protos.common_pb2.ADMIN and len(logins.entries[0].hash) == 64
            first = admin.QueryAuditLog(protos.admin_pb2.QueryAuditLogRequest(page_size=1), metadata=bearer, timeout=TIMEOUT)
            second = admin.QueryAuditLog(protos.admin_pb2.QueryAuditLogRequest(page_size=1, page_token=first.next_page_token),
                                         metadata=bearer, timeout=TIMEOUT)
            assert second.entries[0].sequence == first.entries[0].sequence - 1
            with pytest.raises(grpc.RpcError) as too_long:
                admin.QueryAuditLog(protos.admin_pb2.QueryAuditLogRequest(resource="x" * 201), metadata=bearer, timeout=TIMEOUT)
            assert too_long.value.code() == grpc.StatusCode.INVALID_ARGUMENT

            with sqlite3.connect(tmp_path / "medexpress.sqlite3") as database:
                database.execute("DROP TRIGGER audit_log_no_update")
                database.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2")
            broken = admin.VerifyAuditLog(protos.admin_pb2.VerifyAuditLogRequest(), metadata=bearer, timeout=TIMEOUT)
            assert not broken.intact and broken.broken_sequence == 2 and "changed" in broken.reason
    finally:
        stop_cleanly(server)
