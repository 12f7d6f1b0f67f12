"""Servers under test and the clients that reach them, shared by the Python suites.

A target is started as a child process (`ServerProcess`) and reached either through a stock
grpcio channel or through a hand-driven `H2Peer`. The Swift binary's path comes from
MEDEXPRESS_BIN (default .build/debug/medexpress); when it does not exist the tests that need it
are skipped with that reason, and for no other reason.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import grpc
import pytest

import h2_wire
import interop_protos
from paths import REPO_ROOT, medexpress_bin
from server_process import Endpoint, ServerProcess
from tls_material import TestPKI

TLS_SERVER_NAME = "localhost"
CALL_TIMEOUT_SECONDS = 10.0
GRPCIO_SERVER_SCRIPT = REPO_ROOT / "Tests" / "interop" / "grpcio_test_server.py"
INTEROP_TARGETS = ("medexpress", "grpcio")


def require_medexpress() -> Path:
    """The medexpress binary; skips the calling test (with the reason) if it is not built."""
    path = medexpress_bin()
    if not path.is_file():
        pytest.skip(
            f"medexpress binary not found at {path} (build it with `swift build`, or point MEDEXPRESS_BIN at it)"
        )
    return path


def interop_target() -> str:
    """INTEROP_TARGET: `medexpress` (default) or `grpcio` (the reference server)."""
    target = os.environ.get("INTEROP_TARGET", "medexpress")
    if target not in INTEROP_TARGETS:
        raise pytest.UsageError(f"INTEROP_TARGET must be one of {INTEROP_TARGETS}, not {target!r}")
    return target


def _tls_args(transport: str, pki: TestPKI) -> list[str]:
    if transport == "tls":
        return ["--use_tls", "--cert", str(pki.server_cert), "--key", str(pki.server_key)]
    return []


def start_interop_server(
    target: str, transport: str, pki: TestPKI, extra_args: list[str] | tuple[str, ...] = ()
) -> ServerProcess:
    """Starts `medexpress interop-server` or the grpcio reference server on an ephemeral port."""
    if target == "medexpress":
        argv = [str(require_medexpress()), "interop-server", "--port", "0", *_tls_args(transport, pki), *extra_args]
        server = ServerProcess(argv, ready_prefix="interop-server", name="medexpress interop-server")
    else:
        argv = [sys.executable, str(GRPCIO_SERVER_SCRIPT), "--port", "0", *_tls_args(transport, pki), *extra_args]
        server = ServerProcess(argv, ready_prefix="grpcio-interop-server", name="grpcio-interop-server")
    assert server.endpoint is not None
    if server.endpoint.transport != transport:
        server.kill()
        raise AssertionError(f"asked for {transport}, server says {server.endpoint.transport}\n{server.output()}")
    return server


def open_channel(endpoint: Endpoint, ca_pem: bytes | None = None, options=()) -> grpc.Channel:
    """A stock grpcio channel; for TLS it verifies the server as `localhost` against ca_pem."""
    if endpoint.transport == "tls":
        assert ca_pem is not None, "TLS channel needs the CA certificate"
        credentials = grpc.ssl_channel_credentials(root_certificates=ca_pem)
        return grpc.secure_channel(
            endpoint.address,
            credentials,
            options=[("grpc.ssl_target_name_override", TLS_SERVER_NAME), *options],
        )
    return grpc.insecure_channel(endpoint.address, options=list(options))


def open_peer(endpoint: Endpoint, ca_file: Path | None = None, alpn: list[str] | None = None) -> h2_wire.H2Peer:
    """A hand-driven HTTP/2 connection (not yet handshaken) to the endpoint."""
    context = None
    if endpoint.transport == "tls":
        context = h2_wire.client_ssl_context(str(ca_file) if ca_file else None, alpn)
    return h2_wire.H2Peer(endpoint.host, endpoint.port, ssl_context=context, server_hostname=TLS_SERVER_NAME)


def assert_still_serving(endpoint: Endpoint, ca_pem: bytes | None = None) -> None:
    """A normal grpcio EmptyCall on a new connection succeeds: the server keeps serving."""
    stubs = interop_protos.load()
    with open_channel(endpoint, ca_pem) as channel:
        stub = stubs.test_pb2_grpc.TestServiceStub(channel)
        try:
            response = stub.EmptyCall(stubs.empty_pb2.Empty(), timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            raise AssertionError(
                f"server stopped serving: EmptyCall on a new connection failed with {error.code()}: {error.details()}"
            ) from None
    assert isinstance(response, stubs.empty_pb2.Empty)
