"""Issue 3's durability proof at the server: registrations acknowledged by `medexpress serve` under
load survive `kill -9` of the server, on SQLite and on PostgreSQL. After the restart each
acknowledged request is retried with its idempotency key: a lost write would come back with a new
customer id instead of the acknowledged one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid

import grpc
import pytest

import medexpress_protos
import targets
from server_process import ServerProcess

TIMEOUT = 60.0
WRITERS = 6
# Writes acknowledged before the kill: enough to prove something, few enough on a busy machine.
ACKNOWLEDGED_BEFORE_KILL = 8
MAX_LOAD_SECONDS = 30.0


def engines():
    yield pytest.param(None, id="sqlite")
    url = os.environ.get("MEDEXPRESS_TEST_POSTGRES_URL")
    yield pytest.param(url, id="postgres", marks=pytest.mark.skipif(not url, reason="MEDEXPRESS_TEST_POSTGRES_URL is not set"))


@pytest.fixture
def database(request):
    url = request.param
    if url is None:
        yield []
        return
    schema = f"durability_{uuid.uuid4().hex}"
    subprocess.run(["psql", url, "-qc", f"CREATE SCHEMA {schema}"], check=True)
    separator = "&" if "?" in url else "?"
    yield ["--database", f"{url}{separator}options=-csearch_path%3D{schema}"]
    subprocess.run(["psql", url, "-qc", f"DROP SCHEMA {schema} CASCADE"], check=True)


def serve(data_dir, database_args) -> ServerProcess:
    binary = targets.require_medexpress()
    argv = [str(binary), "serve", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0", "--plaintext", *database_args]
    return ServerProcess(argv, ready_prefix="medexpress", name="medexpress serve")


def registration(protos, index: int, run: str):
    common = protos.common_pb2
    return protos.auth_pb2.RegisterCustomerRequest(
        request_id=f"{run}-{index}", email=f"patient{index}.{run}@example.org", password="durable password 1",
        given_name="Kay", family_name=f"Patient{index}", date_of_birth=common.CalendarDate(year=1970, month=1, day=1),
        phone="+447700900001", address=common.PostalAddress(lines=["1 Store Street"], town="York", postcode="YO1 1AA"))


@pytest.mark.parametrize("database", list(engines()), indirect=True)
def test_acknowledged_registrations_survive_kill_9(tmp_path, database):
    protos = medexpress_protos.load()
    run = uuid.uuid4().hex[:8]
    server = serve(tmp_path, database)
    channel = grpc.insecure_channel(server.endpoint.address)
    auth = protos.auth_pb2_grpc.AuthServiceStub(channel)
    acknowledged: dict[int, str] = {}
    lock = threading.Lock()
    counter = iter(range(1_000_000))
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            with lock:
                index = next(counter)
            try:
                reply = auth.RegisterCustomer(registration(protos, index, run), timeout=TIMEOUT)
            except grpc.RpcError:
                return  # the server died under this call: it was never acknowledged
            with lock:
                acknowledged[index] = reply.customer_id

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    # Kill mid-load once enough writes were acknowledged (scrypt makes each take ~0.5 s, longer
    # on a busy machine), or after the longest wait, whichever is first.
    deadline = time.monotonic() + MAX_LOAD_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.1)
        with lock:
            if len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL:
                break
    os.kill(server.process.pid, signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    server.process.wait(timeout=TIMEOUT)
    channel.close()
    with lock:
        before_kill = dict(acknowledged)
    assert len(before_kill) >= 3, f"only {len(before_kill)} registrations were acknowledged under load"
    print(f"{len(before_kill)} registrations acknowledged before kill -9")

    restarted = serve(tmp_path, database)
    try:
        channel = grpc.insecure_channel(restarted.endpoint.address)
        auth = protos.auth_pb2_grpc.AuthServiceStub(channel)
        for index, customer_id in before_kill.items():
            again = auth.RegisterCustomer(registration(protos, index, run), timeout=TIMEOUT)
            assert again.customer_id == customer_id, f"registration {index} was acknowledged but lost"
        channel.close()
    finally:
        restarted.stop()
