"""Connection lifecycle and server-side limits of `medexpress interop-server`: keepalive PINGs,
the idle timeout, deadlines enforced by the server, the connection limit, and the graceful
drain on SIGTERM. Each case states the behaviour it asserts in its docstring."""

from __future__ import annotations

import signal
import socket
import time

import grpc
import h2.events
import pytest

import h2_wire
import targets
from test_hostile import SERVICE, assert_grpc_status, connect, still_serving

GRPC_DEADLINE_EXCEEDED = 4


def medexpress_only() -> None:
    if targets_is_grpcio():
        pytest.skip("these cases use medexpress-only flags")


def targets_is_grpcio() -> bool:
    import os

    return os.environ.get("HOSTILE_TARGET", "medexpress") == "grpcio"


@pytest.fixture()
def server_with(pki, stubs):
    """Starts an h2c interop-server with extra flags; stops it (expecting exit 0) afterwards."""
    started = []

    def start(*extra_args: str, transport: str = "h2c"):
        medexpress_only()
        server = targets.start_interop_server("medexpress", transport, pki, extra_args)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.running:
            assert server.stop() == 0, server.output()


def test_keepalive_ping_is_answered(h2c_server, pki):
    """A PING gets a PING ACK with the same 8 bytes (RFC 9113 §6.7): clients use it to keep the
    connection alive and to detect a dead one."""
    with connect(h2c_server, pki) as peer:
        acks: list[bytes] = []
        original = peer._handle

        def handle(event):
            if isinstance(event, h2.events.PingAckReceived):
                acks.append(event.ping_data)
            original(event)

        peer._handle = handle
        peer.conn.ping(b"medexpr!")
        peer.flush()
        assert peer.run_until(lambda: bool(acks), 3.0), "no PING ACK within 3 s"
        assert acks == [b"medexpr!"]


def test_idle_connection_gets_goaway_and_closes(server_with, pki):
    """With --idle-timeout-ms 500, a connection that finished its preface and has no call in
    progress is sent GOAWAY (NO_ERROR) and closed within about a second."""
    server = server_with("--idle-timeout-ms", "500")
    with connect(server, pki) as peer:
        started = time.monotonic()
        closed = peer.run_until(lambda: peer.closed, 3.0)
        elapsed = time.monotonic() - started
        assert peer.goaway_code == 0, f"expected GOAWAY NO_ERROR, got {peer.goaway_code} ({peer.close_reason})"
        assert closed, "the idle connection was not closed"
        assert 0.3 <= elapsed <= 2.0, f"closed after {elapsed:.2f} s"
    still_serving(server, pki)


def test_a_call_in_progress_is_not_idle(server_with, pki, stubs):
    """A connection with a call in progress is not idle: with --idle-timeout-ms 300, a server
    stream whose responses come 0.4 s apart completes normally."""
    server = server_with("--idle-timeout-ms", "300")
    m = stubs.messages_pb2
    request = m.StreamingOutputCallRequest(
        response_parameters=[m.ResponseParameters(size=1, interval_us=400_000) for _ in range(3)]
    )
    with connect(server, pki) as peer:
        stream_id = peer.request(f"{SERVICE}/StreamingOutputCall", body=h2_wire.grpc_frame(request.SerializeToString()))
        state = peer.wait_for_stream(stream_id, timeout=5.0)
        assert_grpc_status(state, 0)
        assert len(state.messages()) == 3


def test_server_enforces_the_deadline(h2c_server, pki, stubs):
    """grpc-timeout is enforced by the server as well: a call whose handler would answer after
    2 s, sent with grpc-timeout 200m, ends with grpc-status 4 (DEADLINE_EXCEEDED) from the
    server within about 0.2 s, without the client cancelling anything."""
    m = stubs.messages_pb2
    request = m.StreamingOutputCallRequest(response_parameters=[m.ResponseParameters(size=1, interval_us=2_000_000)])
    with connect(h2c_server, pki) as peer:
        started = time.monotonic()
        stream_id = peer.request(
            f"{SERVICE}/StreamingOutputCall",
            body=h2_wire.grpc_frame(request.SerializeToString()),
            extra_headers=[("grpc-timeout", "200m")],
        )
        state = peer.wait_for_stream(stream_id, timeout=3.0)
        elapsed = time.monotonic() - started
        assert state.grpc_status == GRPC_DEADLINE_EXCEEDED, state.describe()
        assert elapsed < 1.0, f"DEADLINE_EXCEEDED came after {elapsed:.2f} s"
    still_serving(h2c_server, pki)


def test_connections_over_the_limit_are_closed(server_with, pki):
    """With --max-connections 2, a third simultaneous connection is closed at once (no SETTINGS);
    once one of the first two closes, a new connection is served again."""
    server = server_with("--max-connections", "2")
    first = connect(server, pki)
    second = connect(server, pki)
    try:
        third = targets.open_peer(server.endpoint, pki.ca_cert)
        third.conn.initiate_connection()
        third.flush()
        assert third.run_until(lambda: third.closed, 3.0), "a third connection was kept open"
        assert not third.settings_received, "the third connection got SETTINGS"
        third.close()
    finally:
        first.close()
    time.sleep(0.2)
    with connect(server, pki) as again:
        assert again.settings_received
    second.close()


def test_sigterm_drains_calls_in_progress(server_with, pki, stubs):
    """SIGTERM: the server sends GOAWAY, refuses new connections, lets a call in progress finish
    (its 3 responses 0.3 s apart all arrive with status OK), then exits 0. Driven by grpcio,
    which, unlike the h2 package, keeps reading a connection after GOAWAY."""
    server = server_with("--shutdown-grace-seconds", "5")
    m = stubs.messages_pb2
    request = m.StreamingOutputCallRequest(
        response_parameters=[m.ResponseParameters(size=1, interval_us=300_000) for _ in range(3)]
    )
    with targets.open_channel(server.endpoint) as channel:
        stub = stubs.test_pb2_grpc.TestServiceStub(channel)
        call = stub.StreamingOutputCall(request, timeout=10)
        responses = [next(call)]
        server.signal(signal.SIGTERM)
        responses.extend(call)
        assert call.code() == grpc.StatusCode.OK, call.details()
        assert len(responses) == 3
    code = server.wait(5.0)
    assert code == 0, f"exit status {code}\n{server.output()}"
    with pytest.raises(OSError):
        socket.create_connection((server.endpoint.host, server.endpoint.port), timeout=1.0).close()
