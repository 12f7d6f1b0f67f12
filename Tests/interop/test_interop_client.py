"""The gRPC interop test cases (grpc/grpc doc/interop-test-descriptions.md), client side.

A stock grpcio client runs each case against the target server (INTEROP_TARGET: `medexpress`,
the default, or `grpcio`, the reference server in grpcio_test_server.py), once over h2c and once
over TLS. Each test asserts what the interop description asserts. Where the description asserts
something grpcio cannot show or do (the compressed flag of a response message; compressing one
request message of a stream but not the next), the test adds or uses a hand-driven HTTP/2 call
(h2_wire.H2Peer) for exactly that part.
"""

from __future__ import annotations

import gzip
import queue

import grpc
import pytest

import h2_wire
from targets import CALL_TIMEOUT_SECONDS as TIMEOUT

SERVICE = "/grpc.testing.TestService"
STATUS_MESSAGE = "test status message"
SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")


class RequestQueue:
    """A request iterator the test feeds one message at a time; close() half-closes the call."""

    _END = object()

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()

    def put(self, message) -> None:
        self._queue.put(message)

    def close(self) -> None:
        self._queue.put(self._END)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            yield item


def zeros(size: int) -> bytes:
    return bytes(size)


def assert_payload(payload, size: int, stubs) -> None:
    assert payload.type == stubs.messages_pb2.COMPRESSABLE
    assert len(payload.body) == size
    assert payload.body == zeros(size), "payload body must be zeros"


def metadata_values(metadata, key: str) -> list:
    return [item.value for item in (metadata or ()) if item.key == key]


def simple_request(stubs, **fields):
    m = stubs.messages_pb2
    return m.SimpleRequest(response_type=m.COMPRESSABLE, **fields)


def large_unary_request(stubs, **fields):
    m = stubs.messages_pb2
    return simple_request(stubs, response_size=314159, payload=m.Payload(body=zeros(271828)), **fields)


def streaming_output_request(stubs, sizes, payload_size=None, **fields):
    m = stubs.messages_pb2
    request = m.StreamingOutputCallRequest(
        response_type=m.COMPRESSABLE,
        response_parameters=[m.ResponseParameters(size=size) for size in sizes],
        **fields,
    )
    if payload_size is not None:
        request.payload.body = zeros(payload_size)
    return request


def raw_call(peer: h2_wire.H2Peer, method: str, frames: list[tuple[bytes, bool]], *, encoding=None):
    """A gRPC call made by hand: each (serialized message, compress?) becomes one framed message."""
    body = b"".join(
        h2_wire.grpc_frame(gzip.compress(data) if compressed else data, compressed)
        for data, compressed in frames
    )
    stream_id = peer.request(
        f"{SERVICE}/{method}",
        body=body,
        extra_headers=h2_wire.grpc_request_headers(encoding=encoding, accept_encoding="gzip"),
    )
    return peer.wait_for_stream(stream_id, timeout=TIMEOUT)


def assert_ok(state: h2_wire.StreamState) -> None:
    assert state.reset_code is None, state.describe()
    assert state.http_status == "200", state.describe()
    assert state.grpc_status == 0, f"grpc-status {state.grpc_status}: {state.grpc_message!r}"


# -- the interop cases ----------------------------------------------------------------------------


def test_empty_unary(stub, stubs, peer):
    """EmptyCall with the default Empty succeeds with a non-null Empty (zero bytes on the wire)."""
    response = stub.EmptyCall(stubs.empty_pb2.Empty(), timeout=TIMEOUT)
    assert isinstance(response, stubs.empty_pb2.Empty)

    state = raw_call(peer, "EmptyCall", [(b"", False)])
    assert_ok(state)
    assert state.messages() == [(0, b"")], "the Empty response must serialize to zero bytes"


def test_large_unary(stub, stubs):
    """UnaryCall with a 271828-byte payload returns a 314159-byte payload of zeros."""
    response = stub.UnaryCall(large_unary_request(stubs), timeout=TIMEOUT)
    assert_payload(response.payload, 314159, stubs)


def test_client_streaming(stub, stubs):
    """StreamingInputCall with payloads of 27182, 8, 1828, 45904 bytes aggregates 74922."""
    m = stubs.messages_pb2
    requests = [m.StreamingInputCallRequest(payload=m.Payload(body=zeros(size))) for size in (27182, 8, 1828, 45904)]
    response = stub.StreamingInputCall(iter(requests), timeout=TIMEOUT)
    assert response.aggregated_payload_size == 74922


def test_server_streaming(stub, stubs):
    """StreamingOutputCall returns exactly four responses of 31415, 9, 2653, 58979 zero bytes."""
    sizes = (31415, 9, 2653, 58979)
    responses = list(stub.StreamingOutputCall(streaming_output_request(stubs, sizes), timeout=TIMEOUT))
    assert len(responses) == 4
    for response, size in zip(responses, sizes):
        assert_payload(response.payload, size, stubs)


def test_ping_pong(stub, stubs):
    """FullDuplexCall answers each request before the next is sent: 31415, 9, 2653, 58979 bytes."""
    requests = RequestQueue()
    call = stub.FullDuplexCall(iter(requests), timeout=TIMEOUT)
    try:
        for size, payload_size in ((31415, 27182), (9, 8), (2653, 1828), (58979, 45904)):
            requests.put(streaming_output_request(stubs, [size], payload_size))
            response = next(call)
            assert_payload(response.payload, size, stubs)
        requests.close()
        assert list(call) == [], "no responses after the fourth"
    finally:
        requests.close()
    assert call.code() == grpc.StatusCode.OK


def test_empty_stream(stub):
    """FullDuplexCall with no request, half-closed at once, succeeds with zero responses."""
    call = stub.FullDuplexCall(iter(()), timeout=TIMEOUT)
    assert list(call) == []
    assert call.code() == grpc.StatusCode.OK


def test_custom_metadata(stub, stubs):
    """x-grpc-test-echo-initial comes back in initial metadata and x-grpc-test-echo-trailing-bin
    (0xababab) in trailing metadata, on UnaryCall and on FullDuplexCall."""
    metadata = (ECHO_INITIAL, ECHO_TRAILING)

    response, call = stub.UnaryCall.with_call(large_unary_request(stubs), metadata=metadata, timeout=TIMEOUT)
    assert_payload(response.payload, 314159, stubs)
    assert metadata_values(call.initial_metadata(), ECHO_INITIAL[0]) == [ECHO_INITIAL[1]]
    assert metadata_values(call.trailing_metadata(), ECHO_TRAILING[0]) == [ECHO_TRAILING[1]]

    request = streaming_output_request(stubs, [314159], 271828)
    call = stub.FullDuplexCall(iter([request]), metadata=metadata, timeout=TIMEOUT)
    responses = list(call)
    assert len(responses) == 1
    assert_payload(responses[0].payload, 314159, stubs)
    assert call.code() == grpc.StatusCode.OK
    assert metadata_values(call.initial_metadata(), ECHO_INITIAL[0]) == [ECHO_INITIAL[1]]
    assert metadata_values(call.trailing_metadata(), ECHO_TRAILING[0]) == [ECHO_TRAILING[1]]


def _echo_status(stubs, message: str):
    return stubs.messages_pb2.EchoStatus(code=2, message=message)


def test_status_code_and_message(stub, stubs):
    """response_status {code 2, "test status message"} comes back as the call's status, on
    UnaryCall and on FullDuplexCall."""
    with pytest.raises(grpc.RpcError) as unary:
        stub.UnaryCall(simple_request(stubs, response_status=_echo_status(stubs, STATUS_MESSAGE)), timeout=TIMEOUT)
    assert unary.value.code() == grpc.StatusCode.UNKNOWN
    assert unary.value.details() == STATUS_MESSAGE

    request = stubs.messages_pb2.StreamingOutputCallRequest(response_status=_echo_status(stubs, STATUS_MESSAGE))
    call = stub.FullDuplexCall(iter([request]), timeout=TIMEOUT)
    with pytest.raises(grpc.RpcError) as duplex:
        list(call)
    assert duplex.value.code() == grpc.StatusCode.UNKNOWN
    assert duplex.value.details() == STATUS_MESSAGE


def test_special_status_message(stub, stubs):
    """A status message with tabs, CR/LF, a BMP and a non-BMP character comes back unchanged."""
    request = simple_request(stubs, response_status=_echo_status(stubs, SPECIAL_STATUS_MESSAGE))
    with pytest.raises(grpc.RpcError) as error:
        stub.UnaryCall(request, timeout=TIMEOUT)
    assert error.value.code() == grpc.StatusCode.UNKNOWN
    assert error.value.details() == SPECIAL_STATUS_MESSAGE


def _call_empty(channel, stubs, path: str):
    empty = stubs.empty_pb2.Empty
    method = channel.unary_unary(path, request_serializer=empty.SerializeToString, response_deserializer=empty.FromString)
    with pytest.raises(grpc.RpcError) as error:
        method(empty(), timeout=TIMEOUT)
    return error.value


def test_unimplemented_method(channel, stubs):
    """grpc.testing.TestService/UnimplementedCall fails with UNIMPLEMENTED."""
    error = _call_empty(channel, stubs, f"{SERVICE}/UnimplementedCall")
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED


def test_unimplemented_service(channel, stubs):
    """grpc.testing.UnimplementedService/UnimplementedCall fails with UNIMPLEMENTED."""
    error = _call_empty(channel, stubs, "/grpc.testing.UnimplementedService/UnimplementedCall")
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED


def test_cancel_after_begin(stub, stubs):
    """A StreamingInputCall cancelled before any message is sent completes with CANCELLED."""
    requests = RequestQueue()
    future = stub.StreamingInputCall.future(iter(requests), timeout=TIMEOUT)
    try:
        assert future.cancel(), "the call finished before it could be cancelled"
        assert future.cancelled()
        assert future.code() == grpc.StatusCode.CANCELLED
    finally:
        requests.close()
    # The server must not be disturbed by the cancellation.
    assert isinstance(stub.EmptyCall(stubs.empty_pb2.Empty(), timeout=TIMEOUT), stubs.empty_pb2.Empty)


def test_cancel_after_first_response(stub, stubs):
    """A FullDuplexCall cancelled after its first 31415-byte response completes with CANCELLED."""
    requests = RequestQueue()
    call = stub.FullDuplexCall(iter(requests), timeout=TIMEOUT)
    try:
        requests.put(streaming_output_request(stubs, [31415], 27182))
        assert_payload(next(call).payload, 31415, stubs)
        call.cancel()
        with pytest.raises(grpc.RpcError) as error:
            next(call)
        assert error.value.code() == grpc.StatusCode.CANCELLED
        assert call.code() == grpc.StatusCode.CANCELLED
    finally:
        requests.close()
    assert isinstance(stub.EmptyCall(stubs.empty_pb2.Empty(), timeout=TIMEOUT), stubs.empty_pb2.Empty)


def test_timeout_on_sleeping_server(stub, stubs):
    """A FullDuplexCall with a 1 ms deadline that never half-closes ends in DEADLINE_EXCEEDED."""
    requests = RequestQueue()
    requests.put(streaming_output_request(stubs, [], 27182))
    call = stub.FullDuplexCall(iter(requests), timeout=0.001)
    try:
        with pytest.raises(grpc.RpcError) as error:
            list(call)
        assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    finally:
        requests.close()


def test_client_compressed_unary(stub, stubs):
    """Probe: expect_compressed=true sent uncompressed fails with INVALID_ARGUMENT. Then the same
    request gzip-compressed, and expect_compressed=false uncompressed, both return 314159 bytes."""
    m = stubs.messages_pb2
    with pytest.raises(grpc.RpcError) as probe:
        stub.UnaryCall(large_unary_request(stubs, expect_compressed=m.BoolValue(value=True)), timeout=TIMEOUT)
    assert probe.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    compressed = stub.UnaryCall(
        large_unary_request(stubs, expect_compressed=m.BoolValue(value=True)),
        compression=grpc.Compression.Gzip,
        timeout=TIMEOUT,
    )
    assert_payload(compressed.payload, 314159, stubs)

    uncompressed = stub.UnaryCall(
        large_unary_request(stubs, expect_compressed=m.BoolValue(value=False)),
        compression=grpc.Compression.NoCompression,
        timeout=TIMEOUT,
    )
    assert_payload(uncompressed.payload, 314159, stubs)


def test_server_compressed_unary(stub, stubs, peer):
    """response_compressed=true gives a response with the compressed flag set, false one without;
    both carry 314159 bytes. grpcio decodes both; the flags are read off the wire."""
    m = stubs.messages_pb2
    for wanted in (True, False):
        request = large_unary_request(stubs, response_compressed=m.BoolValue(value=wanted))
        assert_payload(stub.UnaryCall(request, timeout=TIMEOUT).payload, 314159, stubs)

        state = raw_call(peer, "UnaryCall", [(request.SerializeToString(), False)])
        assert_ok(state)
        received = h2_wire.decoded_messages(state)
        assert len(received) == 1
        was_compressed, data = received[0]
        assert was_compressed is wanted, f"response_compressed={wanted} but compressed flag {was_compressed}"
        if wanted:
            assert state.headers.get("grpc-encoding") == "gzip"
        assert_payload(m.SimpleResponse.FromString(data).payload, 314159, stubs)


def test_client_compressed_streaming(stub, stubs, peer):
    """Probe: a StreamingInputCall whose expect_compressed=true message is uncompressed fails with
    INVALID_ARGUMENT. Then one call sends a gzip-compressed 27182-byte message (expect true) and an
    uncompressed 45904-byte one (expect false): aggregated_payload_size 73086. grpcio cannot
    compress one message of a stream and not the next, so that call is made by hand."""
    m = stubs.messages_pb2

    def request(size: int, expect: bool):
        return m.StreamingInputCallRequest(payload=m.Payload(body=zeros(size)), expect_compressed=m.BoolValue(value=expect))

    with pytest.raises(grpc.RpcError) as probe:
        stub.StreamingInputCall(iter([request(27182, True)]), timeout=TIMEOUT)
    assert probe.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    state = raw_call(
        peer,
        "StreamingInputCall",
        [(request(27182, True).SerializeToString(), True), (request(45904, False).SerializeToString(), False)],
        encoding="gzip",
    )
    assert_ok(state)
    received = h2_wire.decoded_messages(state)
    assert len(received) == 1
    assert m.StreamingInputCallResponse.FromString(received[0][1]).aggregated_payload_size == 73086


def test_server_compressed_streaming(stub, stubs, peer):
    """StreamingOutputCall with (compressed, 31415) and (uncompressed, 92653) returns exactly two
    responses of those sizes, the first with the compressed flag set and the second without."""
    m = stubs.messages_pb2
    request = m.StreamingOutputCallRequest(
        response_type=m.COMPRESSABLE,
        response_parameters=[
            m.ResponseParameters(size=31415, compressed=m.BoolValue(value=True)),
            m.ResponseParameters(size=92653, compressed=m.BoolValue(value=False)),
        ],
    )
    responses = list(stub.StreamingOutputCall(request, timeout=TIMEOUT))
    assert [len(r.payload.body) for r in responses] == [31415, 92653]
    for response, size in zip(responses, (31415, 92653)):
        assert_payload(response.payload, size, stubs)

    state = raw_call(peer, "StreamingOutputCall", [(request.SerializeToString(), False)])
    assert_ok(state)
    received = h2_wire.decoded_messages(state)
    assert [flag for flag, _ in received] == [True, False], "compressed flags must follow the request"
    assert state.headers.get("grpc-encoding") == "gzip"
    sizes = [len(m.StreamingOutputCallResponse.FromString(data).payload.body) for _, data in received]
    assert sizes == [31415, 92653]
