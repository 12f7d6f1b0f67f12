"""Issue 3's authorization proof, driven by the contract: every method of every medexpress.v1
service, called over the wire against `medexpress serve` with no credentials and with real
credentials of each role its `(medexpress.v1.auth)` option does not name, answers
UNAUTHENTICATED or PERMISSION_DENIED, before any handler runs (an empty request body would
otherwise fail decoding or validation with another status).
"""

from __future__ import annotations

import subprocess

import grpc
import pytest

import medexpress_protos
import targets
from test_serve import start_serve, stop_cleanly
from test_staff_sign_in import PASSWORD, add_staff, mtls_channel, sign_in

TIMEOUT = 30.0
STAFF = {"ADMIN": "amy", "PRESCRIBER": "pat", "PHARMACIST": "phil"}
SERVICE_ACCOUNTS = {"PHARMACY_SYSTEM": "pms", "COURIER": "courier-one"}


@pytest.fixture(scope="module")
def callers(tmp_path_factory):
    """For each role, a channel and the metadata that make a call in that role."""
    data_dir = tmp_path_factory.mktemp("medexpress-authz")
    protos = medexpress_protos.load()
    binary = str(targets.require_medexpress())
    secrets = {role: add_staff(data_dir, username, role, PASSWORD) for role, username in STAFF.items()}
    for role, name in SERVICE_ACCOUNTS.items():
        added = subprocess.run([binary, "service-account", "add", "--data-dir", str(data_dir), "--name", name, "--role", role],
                               capture_output=True, text=True, timeout=60)
        assert added.returncode == 0, added.stderr
    server = start_serve(data_dir)
    root = (data_dir / "tls" / "ca.pem").read_bytes()
    anonymous = grpc.secure_channel(server.endpoint.address, grpc.ssl_channel_credentials(root_certificates=root))
    roles = {"anonymous": (anonymous, ())}

    auth = protos.auth_pb2_grpc.AuthServiceStub(anonymous)
    common = protos.common_pb2
    auth.RegisterCustomer(protos.auth_pb2.RegisterCustomerRequest(
        request_id="authz-customer", email="carla@example.org", password="customer password", given_name="Carla",
        family_name="Customer", date_of_birth=common.CalendarDate(year=1990, month=1, day=1), phone="+447700900321",
        address=common.PostalAddress(lines=["3 Role Road"], town="Derby", postcode="DE1 1AA")), timeout=TIMEOUT)
    customer = auth.Login(protos.auth_pb2.LoginRequest(email="carla@example.org", password="customer password"), timeout=TIMEOUT)
    roles["CUSTOMER"] = (anonymous, (("authorization", f"Bearer {customer.access_token}"),))

    for role, username in STAFF.items():
        channel = mtls_channel(server, data_dir, username)
        session = sign_in(protos, protos.auth_pb2_grpc.AuthServiceStub(channel), username, PASSWORD, secrets[role])
        roles[role] = (channel, (("authorization", f"Bearer {session.access_token}"),))
    for role, name in SERVICE_ACCOUNTS.items():
        channel = grpc.secure_channel(server.endpoint.address, grpc.ssl_channel_credentials(
            root_certificates=root, private_key=(data_dir / "service-accounts" / f"{name}.key").read_bytes(),
            certificate_chain=(data_dir / "service-accounts" / f"{name}.pem").read_bytes()))
        roles[role] = (channel, ())
    yield protos, roles
    for channel, _ in roles.values():
        channel.close()
    stop_cleanly(server)


def methods():
    protos = medexpress_protos.load()
    for service in protos.services:
        for method in service.methods:
            yield pytest.param(service, method, id=f"{service.name}.{method.name}")


@pytest.mark.parametrize("service, method", list(methods()))
def test_every_method_refuses_anonymous_callers_and_every_role_it_does_not_declare(callers, service, method):
    protos, roles = callers
    rule = method.GetOptions().Extensions[protos.options_pb2.auth]
    assert rule.public or rule.roles, f"{method.full_name} declares no access rule"
    if rule.public:
        return
    allowed = {protos.common_pb2.Role.Name(role) for role in rule.roles}
    path = f"/{service.full_name}/{method.name}"
    for role, (channel, metadata) in roles.items():
        if role in allowed:
            continue
        call = channel.unary_unary(path, request_serializer=lambda _: b"", response_deserializer=lambda raw: raw)
        with pytest.raises(grpc.RpcError) as refused:
            call(b"", metadata=metadata, timeout=TIMEOUT)
        expected = grpc.StatusCode.UNAUTHENTICATED if role == "anonymous" else grpc.StatusCode.PERMISSION_DENIED
        assert refused.value.code() == expected, f"{path} as {role}: {refused.value.code()} {refused.value.details()}"
