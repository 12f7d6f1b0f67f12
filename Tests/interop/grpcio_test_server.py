#!/usr/bin/env python3
"""A reference grpc.testing.TestService server on stock grpcio.

It implements the server features of the gRPC interop test descriptions: EmptyCall, UnaryCall,
CacheableUnaryCall, StreamingInputCall, StreamingOutputCall, FullDuplexCall, HalfDuplexCall,
Echo Metadata (x-grpc-test-echo-initial, x-grpc-test-echo-trailing-bin), Echo Status
(response_status), ResponseParameters.interval_us, CompressedResponse (gzip, per message) and
CompressedRequest (expect_compressed).

CompressedRequest needs to know whether each request message arrived compressed, which grpcio
does not tell a handler. The server therefore runs with per-message decompression turned off
(channel argument grpc.per_message_decompression=0): request deserializers receive the bytes as
they were on the wire and decompress them here. A gzip member always starts 1f 8b, which can never
start a protobuf message (wire type 7 does not exist), so the check is exact for gzip; a zlib
(deflate) stream is recognised by its header checksum and a clean decode. Like the C++ reference
server, a compressed message with expect_compressed false is rejected too.

Usage: grpcio_test_server.py [--port 0] [--use_tls [--cert FILE --key FILE]] [--host 127.0.0.1]
       [--max_workers 64] [--max_concurrent_streams N]
Prints `grpcio-interop-server listening on HOST:PORT (h2c|tls)` once serving; exits 0 on
SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import gzip
import signal
import sys
import threading
import time
import zlib
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import grpc  # noqa: E402

import interop_protos  # noqa: E402

READY_PREFIX = "grpcio-interop-server"
ECHO_INITIAL_KEY = "x-grpc-test-echo-initial"
ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin"
SHUTDOWN_GRACE_SECONDS = 2.0
STATUS_BY_CODE = {status.value[0]: status for status in grpc.StatusCode}

stubs = interop_protos.load()
messages = stubs.messages_pb2
empty = stubs.empty_pb2


@dataclass(frozen=True)
class Received:
    """A request message and whether it was compressed on the wire."""

    message: object
    compressed: bool


def _undo_compression(data: bytes) -> tuple[bytes, bool]:
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data), True
    if len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0:
        try:
            decoder = zlib.decompressobj()
            plain = decoder.decompress(data)
            if decoder.eof and not decoder.unused_data:
                return plain, True
        except zlib.error:
            pass
    return data, False


def _deserializer(message_class):
    def deserialize(data: bytes) -> Received:
        plain, compressed = _undo_compression(data)
        return Received(message_class.FromString(plain), compressed)

    return deserialize


def _payload(size: int, response_type: int, context: grpc.ServicerContext):
    if response_type != messages.COMPRESSABLE:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unsupported response_type {response_type}")
    if size < 0:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"negative payload size {size}")
    return messages.Payload(type=messages.COMPRESSABLE, body=bytes(size))


def _check_compression(received: Received, expected: bool, context: grpc.ServicerContext) -> None:
    if expected and not received.compressed:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "expected a compressed request message")
    if not expected and received.compressed:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "expected an uncompressed request message")


def _echo_status(status, context: grpc.ServicerContext) -> None:
    if status.code != 0:
        code = STATUS_BY_CODE.get(status.code, grpc.StatusCode.UNKNOWN)
        context.abort(code, status.message)


class _Echo:
    """Echo Metadata: initial metadata is sent lazily so compression can still be chosen."""

    def __init__(self, context: grpc.ServicerContext) -> None:
        self.context = context
        metadata = context.invocation_metadata()
        self.initial = [(k, v) for k, v in metadata if k == ECHO_INITIAL_KEY]
        trailing = [(k, v) for k, v in metadata if k == ECHO_TRAILING_KEY]
        if trailing:
            context.set_trailing_metadata(trailing)
        self.sent = False
        self.compressing = False

    def send_initial(self) -> None:
        if not self.sent:
            self.sent = True
            if self.initial:
                self.context.send_initial_metadata(self.initial)


class TestService:
    """grpc.testing.TestService as the interop test descriptions define it."""

    def EmptyCall(self, received: Received, context):
        _Echo(context).send_initial()
        return empty.Empty()

    def UnaryCall(self, received: Received, context):
        request = received.message
        echo = _Echo(context)
        if request.response_compressed.value:
            context.set_compression(grpc.Compression.Gzip)
        else:
            context.set_compression(grpc.Compression.NoCompression)
        echo.send_initial()
        _check_compression(received, request.expect_compressed.value, context)
        _echo_status(request.response_status, context)
        return messages.SimpleResponse(payload=_payload(request.response_size, request.response_type, context))

    def CacheableUnaryCall(self, received: Received, context):
        _Echo(context).send_initial()
        context.set_trailing_metadata((("cache-control", "max-age=60, public"),))
        stamp = str(time.time_ns()).encode()
        return messages.SimpleResponse(payload=messages.Payload(type=messages.COMPRESSABLE, body=stamp))

    def StreamingInputCall(self, request_iterator, context):
        echo = _Echo(context)
        echo.send_initial()
        total = 0
        for received in request_iterator:
            _check_compression(received, received.message.expect_compressed.value, context)
            total += len(received.message.payload.body)
        return messages.StreamingInputCallResponse(aggregated_payload_size=total)

    def StreamingOutputCall(self, received: Received, context):
        request = received.message
        echo = _Echo(context)
        yield from self._respond(request, echo, context)
        echo.send_initial()
        _echo_status(request.response_status, context)

    def FullDuplexCall(self, request_iterator, context):
        echo = _Echo(context)
        for received in request_iterator:
            request = received.message
            _echo_status(request.response_status, context)
            yield from self._respond(request, echo, context)
        echo.send_initial()

    def HalfDuplexCall(self, request_iterator, context):
        echo = _Echo(context)
        requests = [received.message for received in request_iterator]
        for request in requests:
            _echo_status(request.response_status, context)
            yield from self._respond(request, echo, context)
        echo.send_initial()

    def _respond(self, request, echo: _Echo, context):
        """One response per ResponseParameters, each after its interval_us, compressed as asked."""
        parameters = list(request.response_parameters)
        if not echo.sent:
            if any(p.compressed.value for p in parameters):
                context.set_compression(grpc.Compression.Gzip)
                echo.compressing = True
        for parameter in parameters:
            if parameter.interval_us > 0:
                time.sleep(parameter.interval_us / 1_000_000)
            if echo.compressing and not parameter.compressed.value:
                context.disable_next_message_compression()
            echo.send_initial()
            yield messages.StreamingOutputCallResponse(
                payload=_payload(parameter.size, request.response_type, context)
            )


def _handlers(service: TestService) -> grpc.GenericRpcHandler:
    unary = grpc.unary_unary_rpc_method_handler
    server_streaming = grpc.unary_stream_rpc_method_handler
    client_streaming = grpc.stream_unary_rpc_method_handler
    bidi = grpc.stream_stream_rpc_method_handler
    m = messages

    def out(cls):
        return cls.SerializeToString

    table = {
        "EmptyCall": unary(service.EmptyCall, _deserializer(empty.Empty), out(empty.Empty)),
        "UnaryCall": unary(service.UnaryCall, _deserializer(m.SimpleRequest), out(m.SimpleResponse)),
        "CacheableUnaryCall": unary(
            service.CacheableUnaryCall, _deserializer(m.SimpleRequest), out(m.SimpleResponse)
        ),
        "StreamingInputCall": client_streaming(
            service.StreamingInputCall,
            _deserializer(m.StreamingInputCallRequest),
            out(m.StreamingInputCallResponse),
        ),
        "StreamingOutputCall": server_streaming(
            service.StreamingOutputCall,
            _deserializer(m.StreamingOutputCallRequest),
            out(m.StreamingOutputCallResponse),
        ),
        "FullDuplexCall": bidi(
            service.FullDuplexCall, _deserializer(m.StreamingOutputCallRequest), out(m.StreamingOutputCallResponse)
        ),
        "HalfDuplexCall": bidi(
            service.HalfDuplexCall, _deserializer(m.StreamingOutputCallRequest), out(m.StreamingOutputCallResponse)
        ),
    }
    return grpc.method_handlers_generic_handler("grpc.testing.TestService", table)


def _flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {value!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--use_tls", nargs="?", const=True, default=False, type=_flag)
    parser.add_argument("--cert", help="PEM server certificate (with --use_tls)")
    parser.add_argument("--key", help="PEM private key (with --use_tls)")
    parser.add_argument("--max_workers", type=int, default=64)
    parser.add_argument("--max_concurrent_streams", type=int, default=0, help="per connection; 0: grpcio default")
    args = parser.parse_args(argv)
    if args.use_tls and not (args.cert and args.key):
        parser.error("--use_tls needs --cert and --key")

    options = [("grpc.per_message_decompression", 0), ("grpc.so_reuseport", 0)]
    if args.max_concurrent_streams > 0:
        options.append(("grpc.max_concurrent_streams", args.max_concurrent_streams))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=args.max_workers), options=options)
    server.add_generic_rpc_handlers((_handlers(TestService()),))
    address = f"{args.host}:{args.port}"
    if args.use_tls:
        credentials = grpc.ssl_server_credentials(
            [(Path(args.key).read_bytes(), Path(args.cert).read_bytes())]
        )
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        print(f"{READY_PREFIX}: could not bind {address}", file=sys.stderr)
        return 1

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    print(f"{READY_PREFIX} listening on {args.host}:{port} ({'tls' if args.use_tls else 'h2c'})", flush=True)
    while not stop.wait(3600):
        pass
    server.stop(SHUTDOWN_GRACE_SECONDS).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
