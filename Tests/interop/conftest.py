"""Fixtures of the interop suite: one target server per transport for the whole session."""

from __future__ import annotations

import pytest

import targets
from suite_fixtures import pki, stubs  # noqa: F401  (fixtures, used by name)

TRANSPORTS = ("h2c", "tls")


@pytest.fixture(scope="session", params=TRANSPORTS)
def interop_server(request, pki, stubs):  # noqa: F811
    """The server under test (INTEROP_TARGET), listening with the parametrized transport."""
    server = targets.start_interop_server(targets.interop_target(), request.param, pki)
    yield server
    code = server.stop()
    assert code == 0, f"{server.name} exited with {code} on SIGTERM\n{server.output()}"


@pytest.fixture
def endpoint(interop_server):
    return interop_server.endpoint


@pytest.fixture
def channel(endpoint, pki):  # noqa: F811
    with targets.open_channel(endpoint, pki.ca_pem()) as channel:
        yield channel


@pytest.fixture
def stub(channel, stubs):  # noqa: F811
    return stubs.test_pb2_grpc.TestServiceStub(channel)


@pytest.fixture
def peer(endpoint, pki):  # noqa: F811
    """A hand-driven HTTP/2 connection, for what grpcio cannot show (message compression flags)."""
    with targets.open_peer(endpoint, pki.ca_cert) as peer:
        peer.handshake()
        yield peer
