"""Fixtures of the hostile-peer suite: `medexpress interop-server` instances to abuse.

HOSTILE_TARGET=grpcio runs the same cases against the grpcio reference server instead, for
comparison only: stock grpcio answers several of these cases differently (that is allowed by the
gRPC spec; the cases here are MedExpress's own, stricter specification), and it has no
handshake or idle timeout flags, so the slowloris cases skip there.
"""

from __future__ import annotations

import os

import pytest

import targets
from suite_fixtures import pki, stubs  # noqa: F401  (fixtures, used by name)

# Short limits for the slowloris cases (milliseconds).
IMPATIENT_ARGS = ("--handshake-timeout-ms", "1000", "--idle-timeout-ms", "2000")


def hostile_target() -> str:
    target = os.environ.get("HOSTILE_TARGET", "medexpress")
    if target not in targets.INTEROP_TARGETS:
        raise pytest.UsageError(f"HOSTILE_TARGET must be one of {targets.INTEROP_TARGETS}, not {target!r}")
    return target


def _serve(transport: str, pki, extra_args=()):  # noqa: F811
    if hostile_target() == "grpcio":
        extra_args = ("--max_concurrent_streams", "100", *extra_args)
    server = targets.start_interop_server(hostile_target(), transport, pki, extra_args)
    yield server
    code = server.stop()
    assert code == 0, f"{server.name} exited with {code} on SIGTERM after the hostile cases\n{server.output()}"


@pytest.fixture(scope="module")
def h2c_server(pki, stubs):  # noqa: F811
    """interop-server over h2c with default limits."""
    yield from _serve("h2c", pki)


@pytest.fixture(scope="module")
def tls_server(pki, stubs):  # noqa: F811
    """interop-server over TLS with default limits."""
    yield from _serve("tls", pki)


def _impatient(transport: str, pki):  # noqa: F811
    if hostile_target() == "grpcio":
        pytest.skip("the grpcio reference server has no --handshake-timeout-ms/--idle-timeout-ms")
    yield from _serve(transport, pki, IMPATIENT_ARGS)


@pytest.fixture(scope="module")
def impatient_h2c_server(pki, stubs):  # noqa: F811
    """interop-server over h2c with a 1 s handshake timeout and a 2 s idle timeout."""
    yield from _impatient("h2c", pki)


@pytest.fixture(scope="module")
def impatient_tls_server(pki, stubs):  # noqa: F811
    """interop-server over TLS with a 1 s handshake timeout and a 2 s idle timeout."""
    yield from _impatient("tls", pki)
