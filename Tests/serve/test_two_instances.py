"""Several server instances on one PostgreSQL database (ARCHITECTURE: growing past one machine):
the invariants live in the database, so they hold across instances. An email registers once even
when two instances are asked at the same moment; a token issued by one instance works on the
other, and signing out on one ends it on both.
"""

from __future__ import annotations

import os
import subprocess
import threading
import uuid

import grpc
import pytest

import medexpress_protos
import targets
from server_process import ServerProcess

TIMEOUT = 60.0
URL = os.environ.get("MEDEXPRESS_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="MEDEXPRESS_TEST_POSTGRES_URL is not set")


@pytest.fixture
def instances(tmp_path):
    schema = f"instances_{uuid.uuid4().hex}"
    subprocess.run(["psql", URL, "-qc", f"CREATE SCHEMA {schema}"], check=True)
    separator = "&" if "?" in URL else "?"
    database = f"{URL}{separator}options=-csearch_path%3D{schema}"
    # One master key for both, as a deployment would give every instance the same one.
    key = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
    servers = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        argv = [str(targets.require_medexpress()), "serve", "--data-dir", str(tmp_path / name), "--listen", "127.0.0.1:0",
                "--plaintext", "--database", database]
        servers.append(ServerProcess(argv, ready_prefix="medexpress", name=f"instance {name}",
                                     env={**os.environ, "MEDEXPRESS_MASTER_KEY": key}))
    yield servers
    for server in servers:
        server.stop()
    subprocess.run(["psql", URL, "-qc", f"DROP SCHEMA {schema} CASCADE"], check=True)


def registration(protos, request_id: str, email: str):
    common = protos.common_pb2
    return protos.auth_pb2.RegisterCustomerRequest(
        request_id=request_id, email=email, password="shared database password", given_name="Twin", family_name="Instance",
        date_of_birth=common.CalendarDate(year=1975, month=6, day=6), phone="+447700900999",
        address=common.PostalAddress(lines=["2 Replica Road"], town="Leeds", postcode="LS2 2BB"))


def test_invariants_hold_across_two_instances(instances):
    protos = medexpress_protos.load()
    a, b = (protos.auth_pb2_grpc.AuthServiceStub(grpc.insecure_channel(server.endpoint.address)) for server in instances)

    outcomes = []
    def register(stub, request_id):
        try:
            outcomes.append(stub.RegisterCustomer(registration(protos, request_id, "twin@example.org"), timeout=TIMEOUT).customer_id)
        except grpc.RpcError as error:
            outcomes.append(error.code())
    threads = [threading.Thread(target=register, args=(stub, f"twin-{index}")) for index, stub in enumerate((a, b, a, b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    accounts = [outcome for outcome in outcomes if isinstance(outcome, str)]
    assert len(accounts) == 1, outcomes
    assert outcomes.count(grpc.StatusCode.ALREADY_EXISTS) == 3, outcomes

    session = a.Login(protos.auth_pb2.LoginRequest(email="twin@example.org", password="shared database password"),
                      timeout=TIMEOUT)
    bearer = (("authorization", f"Bearer {session.access_token}"),)
    assert b.Logout(protos.auth_pb2.LogoutRequest(), metadata=bearer, timeout=TIMEOUT).sessions_ended == 1
    with pytest.raises(grpc.RpcError) as ended:
        a.Logout(protos.auth_pb2.LogoutRequest(), metadata=bearer, timeout=TIMEOUT)
    assert ended.value.code() == grpc.StatusCode.UNAUTHENTICATED
