"""A stock grpcio client takes a customer's first steps against `medexpress serve` over TLS:
register, sign in, call with the bearer token, sign out; the declared roles are enforced.
"""

from __future__ import annotations

import grpc
import pytest

import medexpress_protos
from test_serve import start_serve, stop_cleanly, tls_channel

TIMEOUT = 30.0


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("medexpress-customers")
    server = start_serve(data_dir)
    channel = tls_channel(server, data_dir)
    protos = medexpress_protos.load()
    yield protos, protos.auth_pb2_grpc.AuthServiceStub(channel)
    channel.close()
    stop_cleanly(server)


def registration(protos, email: str, request_id: str):
    common = protos.common_pb2
    return protos.auth_pb2.RegisterCustomerRequest(
        request_id=request_id, email=email, password="a long enough secret", given_name="Mary",
        family_name="Seacole", date_of_birth=common.CalendarDate(year=1985, month=11, day=23), phone="+447700900555",
        address=common.PostalAddress(lines=["1 Crimea Road"], town="Kingston", postcode="KN1 1AA"))


def test_a_customer_registers_signs_in_and_signs_out(served):
    protos, auth = served
    registered = auth.RegisterCustomer(registration(protos, "mary@example.org", "py-1"), timeout=TIMEOUT)
    assert registered.customer_id.startswith("cus_")

    session = auth.Login(protos.auth_pb2.LoginRequest(email="mary@example.org", password="a long enough secret"),
                         timeout=TIMEOUT)
    assert session.subject_id == registered.customer_id
    assert session.role == protos.common_pb2.CUSTOMER

    bearer = (("authorization", f"Bearer {session.access_token}"),)
    ended = auth.Logout(protos.auth_pb2.LogoutRequest(), metadata=bearer, timeout=TIMEOUT)
    assert ended.sessions_ended == 1
    with pytest.raises(grpc.RpcError) as revoked:
        auth.Logout(protos.auth_pb2.LogoutRequest(), metadata=bearer, timeout=TIMEOUT)
    assert revoked.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_protected_method_without_credentials_is_unauthenticated(served):
    protos, auth = served
    with pytest.raises(grpc.RpcError) as anonymous:
        auth.Logout(protos.auth_pb2.LogoutRequest(), timeout=TIMEOUT)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "Bearer" in anonymous.value.details()


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(served):
    protos, auth = served
    auth.RegisterCustomer(registration(protos, "florence@example.org", "py-2"), timeout=TIMEOUT)
    with pytest.raises(grpc.RpcError) as wrong:
        auth.Login(protos.auth_pb2.LoginRequest(email="florence@example.org", password="not the password"), timeout=TIMEOUT)
    assert wrong.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert wrong.value.details() == "the email or password is wrong"
