"""Hostile and broken HTTP/2 peers against `medexpress interop-server`.

Each case drives raw HTTP/2 (the `h2` state machine over a plain socket, h2c with prior
knowledge, or TLS; hand-made frames where h2 would refuse) and asserts the server's specified
answer, written in the test's docstring. After every case a normal grpcio EmptyCall on a new
connection must still succeed: no abuse of one connection may stop the server serving others.
"""

from __future__ import annotations

import select
import socket
import ssl
import struct
import time

import h2.errors
import h2.settings
import hpack
import pytest

import h2_wire
import targets

SERVICE = "/grpc.testing.TestService"
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
ERROR_PROTOCOL_ERROR = 0x1
ERROR_ENHANCE_YOUR_CALM = 0xB
ERROR_REFUSED_STREAM = 0x7
GRPC_INTERNAL = 13
GRPC_RESOURCE_EXHAUSTED = 8
GRPC_INVALID_ARGUMENT = 3
GRPC_UNIMPLEMENTED = 12
GRPC_OK = 0


def connect(server, pki, **kwargs) -> h2_wire.H2Peer:
    peer = targets.open_peer(server.endpoint, pki.ca_cert, **kwargs)
    peer.handshake()
    return peer


def still_serving(server, pki) -> None:
    targets.assert_still_serving(server.endpoint, pki.ca_pem())


def empty_call(peer: h2_wire.H2Peer, **kwargs) -> h2_wire.StreamState:
    stream_id = peer.request(f"{SERVICE}/EmptyCall", body=h2_wire.grpc_frame(b""), **kwargs)
    return peer.wait_for_stream(stream_id)


def assert_grpc_status(state: h2_wire.StreamState, code: int, *, trailers_only: bool = False) -> None:
    assert state.http_status == "200", state.describe()
    assert state.grpc_status == code, f"expected grpc-status {code}; {state.describe()}"
    if trailers_only:
        assert state.trailers_only, f"expected a Trailers-Only response; {state.describe()}"


def test_lying_length_prefix(h2c_server, pki):
    """A message prefix declaring 100 bytes followed by only 10 and END_STREAM ends the call with
    grpc-status 13 (INTERNAL)."""
    with connect(h2c_server, pki) as peer:
        body = struct.pack(">BI", 0, 100) + bytes(10)
        stream_id = peer.request(f"{SERVICE}/UnaryCall", body=body, end_stream=True)
        assert_grpc_status(peer.wait_for_stream(stream_id), GRPC_INTERNAL)
    still_serving(h2c_server, pki)


def test_message_over_the_limit_is_refused_from_its_prefix(h2c_server, pki):
    """A prefix declaring 5 MiB (limit 4 MiB) is answered with grpc-status 8 (RESOURCE_EXHAUSTED)
    within 2 s, from the prefix alone: the client sends no body and no END_STREAM."""
    with connect(h2c_server, pki) as peer:
        prefix = struct.pack(">BI", 0, 5 * 1024 * 1024)
        stream_id = peer.request(f"{SERVICE}/UnaryCall", body=prefix, end_stream=False)
        state = peer.wait_for_stream(stream_id, timeout=2.0)
        assert_grpc_status(state, GRPC_RESOURCE_EXHAUSTED)
    still_serving(h2c_server, pki)


def test_header_block_over_the_limit(h2c_server, pki):
    """The server advertises SETTINGS_MAX_HEADER_LIST_SIZE (16384); a request carrying one 20 KiB
    custom header gets a Trailers-Only response with grpc-status 8 (RESOURCE_EXHAUSTED), and the
    connection stays usable: a second request on it succeeds."""
    with connect(h2c_server, pki) as peer:
        advertised = peer.advertised_settings.get(h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE)
        assert advertised is not None, f"no SETTINGS_MAX_HEADER_LIST_SIZE in {peer.advertised_settings}"
        big_value = "a" * (20 * 1024)
        assert advertised < len(big_value), f"advertised header list limit {advertised} is not below 20 KiB"

        state = empty_call(peer, extra_headers=[("x-oversized", big_value)])
        assert_grpc_status(state, GRPC_RESOURCE_EXHAUSTED, trailers_only=True)

        second = empty_call(peer)
        assert_grpc_status(second, GRPC_OK)
        assert second.messages() == [(0, b"")]
        assert peer.goaway_code is None and not peer.closed
    still_serving(h2c_server, pki)


def test_continuation_flood(h2c_server, pki):
    """HEADERS without END_HEADERS followed by thousands of tiny CONTINUATION frames (CVE-2024-
    28182): the server sends GOAWAY and closes the connection, without waiting for the end."""
    flood_frames = 10_000
    batch = 200
    with connect(h2c_server, pki) as peer:
        peer.use_raw_inbound()
        block = hpack.Encoder().encode(
            [
                (":method", "POST"),
                (":scheme", "http"),
                (":path", f"{SERVICE}/EmptyCall"),
                (":authority", "localhost"),
                ("content-type", "application/grpc"),
                ("te", "trailers"),
            ]
        )
        peer.send_raw(h2_wire.raw_frame(h2_wire.FRAME_HEADERS, 0, 1, block))
        fragment = b"\x00\x03x-c\x010"  # one literal header field, never indexed: "x-c: 0"
        continuation = h2_wire.raw_frame(h2_wire.FRAME_CONTINUATION, 0, 1, fragment)
        sent = 0
        while sent < flood_frames and not (peer.closed or peer.send_failed or peer.goaway_code is not None):
            peer.send_raw(continuation * batch)
            sent += batch
            peer.pump(0.005)
        closed = peer.wait_for_close(5.0)
        assert peer.goaway_code is not None, f"no GOAWAY after {sent} CONTINUATION frames ({peer.close_reason})"
        assert closed, f"connection still open 5 s after GOAWAY {peer.goaway_code} ({sent} frames sent)"
    still_serving(h2c_server, pki)


def test_rapid_reset(h2c_server, pki):
    """HEADERS immediately followed by RST_STREAM(CANCEL), 5,000 times on one connection
    (CVE-2023-44487): the server sends GOAWAY(ENHANCE_YOUR_CALM) or closes the connection, and
    does so within bounded time (10 s after the last frame)."""
    rounds = 5000
    started = time.monotonic()
    with connect(h2c_server, pki) as peer:
        headers = [
            (b":method", b"POST"),
            (b":scheme", b"http"),
            (b":path", f"{SERVICE}/FullDuplexCall".encode()),
            (b":authority", b"localhost"),
            (b"content-type", b"application/grpc"),
            (b"te", b"trailers"),
        ]
        sent = 0
        for sent in range(1, rounds + 1):
            stream_id = peer.conn.get_next_available_stream_id()
            peer.conn.send_headers(stream_id, headers, end_stream=False)
            peer.conn.reset_stream(stream_id, error_code=h2.errors.ErrorCodes.CANCEL)
            if sent % 100 == 0:
                peer.flush()
                peer.pump(0)
                if peer.closed or peer.send_failed or peer.goaway_code is not None:
                    break
        peer.flush()
        peer.run_until(lambda: peer.closed or peer.goaway_code == ERROR_ENHANCE_YOUR_CALM, 10.0)
        assert peer.goaway_code == ERROR_ENHANCE_YOUR_CALM or peer.closed or peer.send_failed, (
            f"after {sent} HEADERS+RST_STREAM pairs the connection is still open "
            f"(goaway_code={peer.goaway_code})"
        )
    assert time.monotonic() - started < 30.0
    still_serving(h2c_server, pki)


@pytest.mark.parametrize("timeout_value", ["1x", "123456789S", "-1S", ""], ids=["unit", "nine-digits", "negative", "empty"])
def test_bad_grpc_timeout(h2c_server, pki, timeout_value):
    """A malformed grpc-timeout (bad unit, more than 8 digits, negative, empty) gets a
    Trailers-Only response with grpc-status 3 (INVALID_ARGUMENT) whose message names grpc-timeout."""
    with connect(h2c_server, pki) as peer:
        state = empty_call(peer, extra_headers=[("grpc-timeout", timeout_value)])
        assert_grpc_status(state, GRPC_INVALID_ARGUMENT, trailers_only=True)
        assert "grpc-timeout" in state.grpc_message.lower(), state.grpc_message
    still_serving(h2c_server, pki)


def test_missing_te_trailers(h2c_server, pki):
    """A request without `te: trailers` ends with grpc-status 3 (INVALID_ARGUMENT)."""
    with connect(h2c_server, pki) as peer:
        assert_grpc_status(empty_call(peer, te=None), GRPC_INVALID_ARGUMENT)
    still_serving(h2c_server, pki)


def test_wrong_content_type(h2c_server, pki):
    """content-type application/json is answered with HTTP :status 415."""
    with connect(h2c_server, pki) as peer:
        state = empty_call(peer, content_type="application/json")
        assert state.http_status == "415", state.describe()
    still_serving(h2c_server, pki)


def test_protobuf_garbage(h2c_server, pki):
    """A UnaryCall whose message is not protobuf (ff ff ff ff ff) ends with grpc-status 3
    (INVALID_ARGUMENT)."""
    with connect(h2c_server, pki) as peer:
        stream_id = peer.request(f"{SERVICE}/UnaryCall", body=h2_wire.grpc_frame(b"\xff" * 5))
        assert_grpc_status(peer.wait_for_stream(stream_id), GRPC_INVALID_ARGUMENT)
    still_serving(h2c_server, pki)


@pytest.mark.parametrize(
    "path",
    [f"{SERVICE}/NoSuchMethod", "/no.such.Service/NoSuchMethod"],
    ids=["unknown-method", "unknown-service"],
)
def test_unknown_method_or_service(h2c_server, pki, path):
    """An unknown method or service gets a Trailers-Only response with grpc-status 12
    (UNIMPLEMENTED)."""
    with connect(h2c_server, pki) as peer:
        stream_id = peer.request(path, body=h2_wire.grpc_frame(b""))
        assert_grpc_status(peer.wait_for_stream(stream_id), GRPC_UNIMPLEMENTED, trailers_only=True)
    still_serving(h2c_server, pki)


def test_tls_alpn_http11_only(tls_server, pki):
    """A TLS client offering only ALPN `http/1.1` either fails the handshake, or is closed
    without the server ever answering its HTTP/2 preface with SETTINGS."""
    endpoint = tls_server.endpoint
    context = h2_wire.client_ssl_context(str(pki.ca_cert), alpn=["http/1.1"])
    raw = socket.create_connection((endpoint.host, endpoint.port), timeout=5.0)
    try:
        try:
            tls = context.wrap_socket(raw, server_hostname=targets.TLS_SERVER_NAME)
        except socket.timeout:
            pytest.fail("the TLS handshake hung for 5 s instead of completing or failing")
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            pass  # refused during the handshake (no_application_protocol alert or a reset)
        else:
            assert tls.selected_alpn_protocol() != "h2"
            try:
                tls.sendall(h2_wire.CLIENT_PREFACE + h2_wire.raw_frame(h2_wire.FRAME_SETTINGS, 0, 0))
            except (ssl.SSLError, OSError):
                pass
            received = bytearray()
            closed = _read_until_closed(tls, received, timeout=10.0)
            assert not _starts_with_settings(bytes(received)), f"server answered with HTTP/2: {bytes(received[:32])!r}"
            assert closed, "server kept a connection without h2 ALPN open for 10 s"
    finally:
        raw.close()
    still_serving(tls_server, pki)


def _starts_with_settings(data: bytes) -> bool:
    return len(data) >= 9 and data[3] == h2_wire.FRAME_SETTINGS


def _read_until_closed(sock, into: bytearray, timeout: float) -> bool:
    """Reads into `into` until EOF or reset; True if the peer closed within timeout."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        if not pending and not select.select([sock], [], [], min(remaining, 0.1))[0]:
            continue
        try:
            chunk = sock.recv(65536)
        except (ssl.SSLWantReadError, socket.timeout):
            continue
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            return True
        if not chunk:
            return True
        into.extend(chunk)


def test_slowloris_preface(impatient_h2c_server, pki):
    """With --handshake-timeout-ms 1000 --idle-timeout-ms 2000, a client that sends the HTTP/2
    preface one byte every 0.5 s is disconnected within about 3 s of connecting."""
    endpoint = impatient_h2c_server.endpoint
    started = time.monotonic()
    closed_after = None
    with socket.create_connection((endpoint.host, endpoint.port), timeout=5.0) as sock:
        for byte in h2_wire.CLIENT_PREFACE:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed_after = time.monotonic() - started
                break
            if _read_until_closed(sock, bytearray(), timeout=0.5):
                closed_after = time.monotonic() - started
                break
            if time.monotonic() - started > 6.0:
                break
    assert closed_after is not None, "the server let a one-byte-per-0.5 s preface run for 6 s"
    assert closed_after <= 3.5, f"closed only after {closed_after:.2f} s"
    still_serving(impatient_h2c_server, pki)


def test_tls_connection_without_client_hello(impatient_tls_server, pki):
    """With --handshake-timeout-ms 1000, a TCP connection to the TLS port that never sends a
    ClientHello is closed within about 2 s."""
    endpoint = impatient_tls_server.endpoint
    started = time.monotonic()
    with socket.create_connection((endpoint.host, endpoint.port), timeout=5.0) as sock:
        closed = _read_until_closed(sock, bytearray(), timeout=4.0)
        elapsed = time.monotonic() - started
    assert closed, "a silent TLS connection stayed open for 4 s"
    assert elapsed <= 2.5, f"closed only after {elapsed:.2f} s"
    still_serving(impatient_tls_server, pki)


def test_too_many_concurrent_streams(h2c_server, pki, stubs):
    """The server advertises SETTINGS_MAX_CONCURRENT_STREAMS (default 100) and enforces it.
    A client that has acknowledged that setting and still opens more streams breaks the
    protocol: nghttp2 treats it as a connection error (GOAWAY PROTOCOL_ERROR naming the limit),
    the streams above the limit are never served, and the server keeps serving other clients.
    (A client whose streams cross the limit before it has acknowledged the SETTINGS gets
    RST_STREAM REFUSED_STREAM instead; nghttp2 does that by itself.)"""
    extra = 5
    with connect(h2c_server, pki) as peer:
        limit = peer.advertised_settings.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS)
        assert limit is not None, f"no SETTINGS_MAX_CONCURRENT_STREAMS in {peer.advertised_settings}"
        assert 1 <= limit <= 10_000, f"implausible SETTINGS_MAX_CONCURRENT_STREAMS {limit}"
        # h2 honours the server's limit; lift it locally so the extra streams reach the server.
        peer.conn.remote_settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] = limit + extra + 1
        peer.conn.remote_settings.acknowledge()

        stream_ids = [peer.request(f"{SERVICE}/FullDuplexCall", end_stream=False) for _ in range(limit + extra)]
        refused = stream_ids[limit:]
        peer.run_until(lambda: peer.closed or peer.goaway_code is not None, 5.0)
        assert peer.goaway_code == ERROR_PROTOCOL_ERROR, f"expected GOAWAY PROTOCOL_ERROR, got {peer.goaway_code} ({peer.close_reason})"
        assert peer.goaway_last_stream_id < refused[0], "a stream above the limit was accepted"
        assert all(not peer.streams[s].header_blocks for s in refused), "a stream above the limit was answered"
    still_serving(h2c_server, pki)


def test_flow_control_backpressure(h2c_server, pki, stubs):
    """While a handler is not taking messages, the server grants no more stream credit than its
    advertised initial window plus one maximum message (4 MiB + 5 bytes of prefix).

    How it is observed: FullDuplexCall's first request asks for one response after
    interval_us = 4 s, so the handler sleeps before it reads the next request. The client then
    offers up to 64 MiB of further request messages and counts the DATA bytes the server's
    WINDOW_UPDATEs let it send on that stream during the next 3 s. A server that returns credit
    as bytes arrive (instead of as the handler consumes messages) lets all 64 MiB through."""
    m = stubs.messages_pb2
    offered_limit = 64 * 1024 * 1024
    with connect(h2c_server, pki) as peer:
        initial_window = peer.advertised_settings.get(h2.settings.SettingCodes.INITIAL_WINDOW_SIZE, 65535)
        bound = initial_window + MAX_MESSAGE_BYTES + h2_wire.GRPC_MESSAGE_PREFIX_BYTES
        stream_id = peer.request(f"{SERVICE}/FullDuplexCall", end_stream=False)
        first = m.StreamingOutputCallRequest(response_parameters=[m.ResponseParameters(size=1, interval_us=4_000_000)])
        peer.send_body(stream_id, h2_wire.grpc_frame(first.SerializeToString()), end_stream=False)
        peer.run_until(lambda: False, 0.3)  # let the handler take the first message and sleep

        filler = h2_wire.grpc_frame(m.StreamingOutputCallRequest(payload=m.Payload(body=bytes(65536))).SerializeToString())
        pending = memoryview(b"")
        sent = 0
        deadline = time.monotonic() + 3.0
        while sent < offered_limit and sent <= bound and time.monotonic() < deadline and not peer.closed:
            window = min(peer.conn.local_flow_control_window(stream_id), peer.conn.max_outbound_frame_size)
            if window <= 0:
                peer.pump(min(0.2, max(deadline - time.monotonic(), 0)))
                continue
            if not pending:
                pending = memoryview(filler)
            chunk = bytes(pending[:window])
            peer.conn.send_data(stream_id, chunk)
            peer.flush()
            pending = pending[len(chunk) :]
            sent += len(chunk)
            peer.pump(0)
        assert not peer.closed, f"connection closed during the test: {peer.close_reason}"
        assert sent <= bound, (
            f"server let {sent} bytes through while its handler slept; bound is {bound} "
            f"(initial window {initial_window} + one max message)"
        )
        peer.reset(stream_id)
    still_serving(h2c_server, pki)
