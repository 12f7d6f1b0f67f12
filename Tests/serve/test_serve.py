"""`medexpress serve` as an operator and a stock gRPC client meet it.

First start makes a development CA and server certificate under DIR/tls; stock grpcio clients
then reach grpc.health.v1.Health and server reflection (v1 and v1alpha) over TLS with that CA.
--plaintext is for loopback only; SIGTERM drains in-flight calls within the grace period and
exits 0.
"""

from __future__ import annotations

import stat
import subprocess
import time

import grpc
import pytest
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

import targets
from server_process import ServerProcess

TIMEOUT = 10.0
SHUTDOWN_GRACE_SECONDS = 2
HEALTH = "grpc.health.v1.Health"
REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"
REFLECTION_V1ALPHA = "grpc.reflection.v1alpha.ServerReflection"


def start_serve(data_dir, *extra: str, listen: str = "127.0.0.1:0") -> ServerProcess:
    binary = targets.require_medexpress()
    argv = [str(binary), "serve", "--data-dir", str(data_dir), "--listen", listen, *extra]
    return ServerProcess(argv, ready_prefix="medexpress", name="medexpress serve")


def stop_cleanly(server: ServerProcess) -> None:
    code = server.stop()
    assert code == 0, f"medexpress serve exited with {code} on SIGTERM\n{server.output()}"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("medexpress-data")


@pytest.fixture(scope="module")
def tls_server(data_dir):
    """`medexpress serve` with TLS (the default), first start in an empty data directory."""
    server = start_serve(data_dir)
    yield server
    stop_cleanly(server)


def tls_channel(server: ServerProcess, data_dir, server_name: str | None = None) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(root_certificates=(data_dir / "tls" / "ca.pem").read_bytes())
    options = [("grpc.ssl_target_name_override", server_name)] if server_name else []
    return grpc.secure_channel(server.endpoint.address, credentials, options=options)


class ReflectionV1Channel:
    """Hands grpcio-reflection's client (which speaks v1alpha) the v1 method path instead.

    The v1 and v1alpha ServerReflection messages are identical on the wire, so the stock
    ProtoReflectionDescriptorDatabase can drive either version."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._channel = channel

    def stream_stream(self, method: str, *args, **kwargs):
        return self._channel.stream_stream(method.replace(REFLECTION_V1ALPHA, REFLECTION_V1), *args, **kwargs)


def test_first_start_creates_development_tls_material(tls_server, data_dir):
    """On first start, DIR/tls holds ca.pem, server.pem and server.key; the key is mode 0600 and
    the server certificate names localhost and 127.0.0.1."""
    assert tls_server.endpoint.transport == "tls"
    tls_dir = data_dir / "tls"
    for name in ("ca.pem", "server.pem", "server.key"):
        assert (tls_dir / name).is_file(), f"{tls_dir / name} missing"
    mode = stat.S_IMODE((tls_dir / "server.key").stat().st_mode)
    assert mode == 0o600, f"server.key has mode {mode:o}"
    names = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(tls_dir / "server.pem")],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout
    assert "DNS:localhost" in names and "IP Address:127.0.0.1" in names, names


@pytest.mark.parametrize("server_name", [None, "localhost"], ids=["by-ip", "by-name"])
def test_health_check_is_serving_over_tls(tls_server, data_dir, server_name):
    """A stock grpcio Health.Check, verifying the server against DIR/tls/ca.pem (as 127.0.0.1 and
    as localhost), answers SERVING."""
    with tls_channel(tls_server, data_dir, server_name) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_health_knows_each_served_service(tls_server, data_dir):
    """Health.Check answers SERVING for each service the server serves by name, NOT_FOUND for a
    service it does not serve, and List names them all."""
    with tls_channel(tls_server, data_dir, "localhost") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                        "grpc.reflection.v1alpha.ServerReflection"):
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
            assert response.status == health_pb2.HealthCheckResponse.SERVING, service
        with pytest.raises(grpc.RpcError) as error:
            stub.Check(health_pb2.HealthCheckRequest(service="medexpress.v1.Nope"), timeout=TIMEOUT)
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
        listed = stub.List(health_pb2.HealthListRequest(), timeout=TIMEOUT)
        assert set(listed.statuses) >= {"", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"}


def test_each_call_is_logged_with_its_request_id(tls_server, data_dir):
    """Every call leaves one structured log line on stderr with its method, status and request
    id; a short plain x-request-id from the client is kept as the id."""
    with tls_channel(tls_server, data_dir, "localhost") as channel:
        health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT, metadata=[("x-request-id", "req-7f3a")]
        )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "request_id=req-7f3a" not in tls_server.stderr_text():
        time.sleep(0.05)
    lines = [line for line in tls_server.stderr_text().splitlines() if "request_id=req-7f3a" in line]
    assert len(lines) == 1, tls_server.stderr_text()
    assert "msg=call" in lines[0] and "method=/grpc.health.v1.Health/Check" in lines[0] and "status=ok" in lines[0], lines[0]


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_reflection_lists_and_describes_services(tls_server, data_dir, version):
    """grpcio-reflection's descriptor database lists Health and both reflection services, and
    describes grpc.health.v1.Health (Check and Watch) from the file containing it."""
    with tls_channel(tls_server, data_dir) as channel:
        database = ProtoReflectionDescriptorDatabase(ReflectionV1Channel(channel) if version == "v1" else channel)
        services = set(database.get_services())
        assert {HEALTH, REFLECTION_V1, REFLECTION_V1ALPHA} <= services, services

        file_proto = database.FindFileContainingSymbol(HEALTH)
        assert file_proto.package == "grpc.health.v1"
        assert HEALTH.rsplit(".", 1)[1] in [service.name for service in file_proto.service]

        health = DescriptorPool(database).FindServiceByName(HEALTH)
        methods = {method.name: method for method in health.methods}
        assert {"Check", "Watch"} <= set(methods), set(methods)
        assert methods["Check"].input_type.full_name == "grpc.health.v1.HealthCheckRequest"
        assert methods["Watch"].output_type.full_name == "grpc.health.v1.HealthCheckResponse"


@pytest.mark.parametrize("service", [REFLECTION_V1, REFLECTION_V1ALPHA])
def test_reflection_raw_stub(tls_server, data_dir, service):
    """A plain ServerReflectionInfo stream (no helper library) gets list_services and
    file_containing_symbol answers, each echoing its request."""
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol=HEALTH),
    ]
    with tls_channel(tls_server, data_dir) as channel:
        info = channel.stream_stream(
            f"/{service}/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        responses = list(info(iter(requests), timeout=TIMEOUT))
    assert len(responses) == 2
    listed, described = responses
    assert listed.original_request == requests[0]
    assert {HEALTH, REFLECTION_V1, REFLECTION_V1ALPHA} <= {s.name for s in listed.list_services_response.service}
    assert described.original_request == requests[1]
    assert described.WhichOneof("message_response") == "file_descriptor_response"
    assert described.file_descriptor_response.file_descriptor_proto, "no FileDescriptorProto bytes"


def test_plaintext_on_loopback(tmp_path):
    """--plaintext on 127.0.0.1 serves h2c: a plain grpcio Health.Check answers SERVING."""
    server = start_serve(tmp_path / "data", "--plaintext")
    try:
        assert server.endpoint.transport == "h2c"
        with grpc.insecure_channel(server.endpoint.address) as channel:
            response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        stop_cleanly(server)


def test_plaintext_refused_on_a_non_loopback_address(tmp_path):
    """--plaintext with --listen 0.0.0.0:0 exits non-zero and says why, without serving."""
    binary = targets.require_medexpress()
    argv = [str(binary), "serve", "--data-dir", str(tmp_path / "data"), "--listen", "0.0.0.0:0", "--plaintext"]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"still running after 20 s: plaintext on 0.0.0.0 was not refused\n{timeout.stdout}")
    assert result.returncode != 0, f"exited 0\nstdout:{result.stdout}\nstderr:{result.stderr}"
    assert (result.stderr + result.stdout).strip(), "exited non-zero without a message"
    assert "listening on" not in result.stdout


def test_sigterm_during_watch_exits_within_grace(tmp_path):
    """SIGTERM while a Health.Watch stream is open: the server stops (GOAWAY), gives the call the
    grace period (--shutdown-grace-seconds 2), ends it and exits 0 within that period (plus 3 s
    of slack for process exit)."""
    data_dir = tmp_path / "data"
    server = start_serve(data_dir, "--shutdown-grace-seconds", str(SHUTDOWN_GRACE_SECONDS))
    try:
        with tls_channel(server, data_dir) as channel:
            watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)
            first = next(watch)
            assert first.status == health_pb2.HealthCheckResponse.SERVING
            started = time.monotonic()
            server.signal()
            code = server.wait(SHUTDOWN_GRACE_SECONDS + 3)
            elapsed = time.monotonic() - started
            assert code is not None, f"still running {elapsed:.1f} s after SIGTERM\n{server.output()}"
            assert code == 0, f"exited {code} after SIGTERM\n{server.output()}"
            try:
                for _ in watch:
                    pass
            except grpc.RpcError:
                pass
            assert watch.code() != grpc.StatusCode.DEADLINE_EXCEEDED, "the Watch call outlived the server"
    finally:
        server.kill()
