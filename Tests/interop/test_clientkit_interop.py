"""ClientKit as a client of stock gRPC: `medexpress interop-client` runs each interop case
(grpc/grpc doc/interop-test-descriptions.md) against the grpcio reference server
(grpcio_test_server.py), once over h2c and once over TLS.

The TLS material is the shared throw-away CA and server certificate (tls_material, made with the
openssl CLI; SAN localhost and 127.0.0.1). The client verifies the server against that CA and the
name `localhost`; the last tests check that it refuses a server it cannot verify.
"""

from __future__ import annotations

import subprocess

import pytest

import targets
from targets import TLS_SERVER_NAME, require_medexpress

CASES = (
    "empty_unary",
    "large_unary",
    "client_compressed_unary",
    "server_compressed_unary",
    "client_streaming",
    "client_compressed_streaming",
    "server_streaming",
    "server_compressed_streaming",
    "ping_pong",
    "empty_stream",
    "custom_metadata",
    "status_code_and_message",
    "special_status_message",
    "unimplemented_method",
    "unimplemented_service",
    "cancel_after_begin",
    "cancel_after_first_response",
    "timeout_on_sleeping_server",
)
CLIENT_TIMEOUT_SECONDS = 60.0


@pytest.fixture(scope="module", params=("h2c", "tls"))
def reference_server(request, pki):
    """The grpcio reference TestService server, listening with the parametrized transport."""
    server = targets.start_interop_server("grpcio", request.param, pki)
    yield server
    code = server.stop()
    assert code == 0, f"{server.name} exited with {code} on SIGTERM\n{server.output()}"


def run_client(endpoint, case: str, *tls_args: str) -> subprocess.CompletedProcess:
    argv = [
        str(require_medexpress()),
        "interop-client",
        "--server_host",
        endpoint.host,
        "--server_port",
        str(endpoint.port),
        "--test_case",
        case,
        *tls_args,
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_SECONDS)


def verified_tls_args(endpoint, pki) -> list[str]:
    if endpoint.transport != "tls":
        return []
    return ["--use_tls", "--ca_file", str(pki.ca_cert), "--server_host_override", TLS_SERVER_NAME]


@pytest.mark.parametrize("case", CASES)
def test_clientkit_passes_the_interop_case(reference_server, pki, case):
    endpoint = reference_server.endpoint
    result = run_client(endpoint, case, *verified_tls_args(endpoint, pki))
    output = f"--- stdout:\n{result.stdout}\n--- stderr:\n{result.stderr}"
    assert result.returncode == 0, f"interop-client {case} over {endpoint.transport} exited {result.returncode}\n{output}"
    lines = result.stdout.strip().splitlines()
    assert lines and lines[-1] == f"PASS {case}", output


def test_clientkit_refuses_a_server_certificate_for_another_name(pki):
    with targets.start_interop_server("grpcio", "tls", pki) as server:
        args = ["--use_tls", "--ca_file", str(pki.ca_cert), "--server_host_override", "pharmacy.example"]
        result = run_client(server.endpoint, "empty_unary", *args)
    assert result.returncode != 0, result.stdout
    assert "unavailable" in result.stderr and "hostname mismatch" in result.stderr, result.stderr


def test_clientkit_refuses_a_server_it_has_no_ca_for(pki):
    with targets.start_interop_server("grpcio", "tls", pki) as server:
        # No --ca_file: the system roots do not know the throw-away CA.
        args = ["--use_tls", "--server_host_override", TLS_SERVER_NAME]
        result = run_client(server.endpoint, "empty_unary", *args)
    assert result.returncode != 0, result.stdout
    assert "unavailable" in result.stderr and "certificate verify failed" in result.stderr, result.stderr
