"""A hand-driven HTTP/2 client for gRPC wire checks, built on the `h2` state machine.

`H2Peer` owns one socket (plain h2c with prior knowledge, or TLS with ALPN) and one
`h2.connection.H2Connection`. Requests are sent through h2 where h2 allows it; raw frames
(`send_raw`) go out verbatim for the cases h2 would refuse to produce. Everything the server
sends is fed back through h2, so a server that emits invalid HTTP/2 fails the test with h2's
protocol error instead of passing by accident.

Every wait has a deadline: nothing here blocks without a bound.
"""

from __future__ import annotations

import gzip
import select
import socket
import ssl
import struct
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
from hyperframe.frame import Frame, GoAwayFrame, PingFrame, RstStreamFrame, SettingsFrame

CLIENT_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# RFC 9113 section 6: frame types and flags used by the hand-made frames.
FRAME_DATA = 0x0
FRAME_HEADERS = 0x1
FRAME_RST_STREAM = 0x3
FRAME_SETTINGS = 0x4
FRAME_CONTINUATION = 0x9
FLAG_END_STREAM = 0x1
FLAG_END_HEADERS = 0x4

GRPC_MESSAGE_PREFIX_BYTES = 5


def raw_frame(frame_type: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    """One HTTP/2 frame: 24-bit length, type, flags, 31-bit stream id, payload (RFC 9113 4.1)."""
    length = len(payload)
    return struct.pack(">BHBBL", length >> 16, length & 0xFFFF, frame_type, flags, stream_id & 0x7FFFFFFF) + payload


def grpc_frame(payload: bytes, compressed: bool = False) -> bytes:
    """A gRPC length-prefixed message: compressed flag, 32-bit big-endian length, payload."""
    return struct.pack(">BI", 1 if compressed else 0, len(payload)) + payload


def split_grpc_messages(data: bytes) -> list[tuple[int, bytes]]:
    """Splits a DATA stream into (compressed flag, payload) pairs; raises on a torn message."""
    messages = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < GRPC_MESSAGE_PREFIX_BYTES:
            raise ValueError(f"torn gRPC message prefix at offset {offset} of {len(data)}")
        flag, length = struct.unpack_from(">BI", data, offset)
        offset += GRPC_MESSAGE_PREFIX_BYTES
        if len(data) - offset < length:
            raise ValueError(f"gRPC message declares {length} bytes, {len(data) - offset} present")
        messages.append((flag, data[offset : offset + length]))
        offset += length
    return messages


def decompress(encoding: str, payload: bytes) -> bytes:
    """Decodes a compressed gRPC message body for the named grpc-encoding."""
    if encoding == "gzip":
        return gzip.decompress(payload)
    if encoding == "deflate":
        return zlib.decompress(payload)
    raise ValueError(f"unsupported grpc-encoding {encoding!r}")


def client_ssl_context(ca_file: str | None, alpn: list[str] | None = None) -> ssl.SSLContext:
    """A TLS client context with ALPN (default h2); verifies against ca_file, or not at all if None."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_file is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context.load_verify_locations(cafile=ca_file)
    context.set_alpn_protocols(alpn if alpn is not None else ["h2"])
    return context


@dataclass
class StreamState:
    """What the server sent on one stream."""

    stream_id: int
    header_blocks: list[list[tuple[str, str]]] = field(default_factory=list)
    data: bytearray = field(default_factory=bytearray)
    ended: bool = False
    reset_code: int | None = None
    first_block_ended_stream: bool = False

    @property
    def finished(self) -> bool:
        return self.ended or self.reset_code is not None

    @property
    def headers(self) -> dict[str, str]:
        """The first (response) header block, as a dict."""
        return dict(self.header_blocks[0]) if self.header_blocks else {}

    @property
    def trailers(self) -> dict[str, str]:
        """The last header block: the trailers, or the only block of a Trailers-Only response."""
        return dict(self.header_blocks[-1]) if self.header_blocks else {}

    @property
    def trailers_only(self) -> bool:
        """True when the response was one HEADERS block carrying END_STREAM and no DATA."""
        return len(self.header_blocks) == 1 and self.first_block_ended_stream and not self.data

    @property
    def http_status(self) -> str | None:
        return self.headers.get(":status")

    @property
    def grpc_status(self) -> int | None:
        value = self.trailers.get("grpc-status")
        return int(value) if value is not None else None

    @property
    def grpc_message(self) -> str:
        """grpc-message, percent-decoded as the gRPC HTTP/2 protocol specifies."""
        return urllib.parse.unquote(self.trailers.get("grpc-message", ""), encoding="utf-8", errors="strict")

    def messages(self) -> list[tuple[int, bytes]]:
        """The response messages as (compressed flag, payload as sent on the wire)."""
        return split_grpc_messages(bytes(self.data))

    def describe(self) -> str:
        return (
            f"stream {self.stream_id}: header_blocks={self.header_blocks!r} data_bytes={len(self.data)} "
            f"ended={self.ended} reset_code={self.reset_code}"
        )


class H2Peer:
    """One client HTTP/2 connection to a server under test."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str = "localhost",
        connect_timeout: float = 5.0,
    ) -> None:
        self.host = host
        self.port = port
        raw = socket.create_connection((host, port), timeout=connect_timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock: socket.socket = (
            ssl_context.wrap_socket(raw, server_hostname=server_hostname) if ssl_context else raw
        )
        self.sock.settimeout(connect_timeout)
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding=None,
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
            validate_inbound_headers=True,
        )
        self.conn = h2.connection.H2Connection(config=config)
        self.streams: dict[int, StreamState] = {}
        self.advertised_settings: dict[int, int] = {}
        self.settings_received = False
        self.goaway_code: int | None = None
        self.goaway_last_stream_id: int | None = None
        self.raw_inbound = False
        self.raw_frames: list[Frame] = []
        self._raw_buffer = bytearray()
        self.closed = False
        self.close_reason = ""
        self.send_failed = False
        self.frames_received = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def handshake(self, timeout: float = 5.0, local_settings: dict[int, int] | None = None) -> None:
        """Sends the preface and SETTINGS, and waits for the server's SETTINGS."""
        self.conn.initiate_connection()
        if local_settings:
            self.conn.update_settings(local_settings)
        self.flush()
        if not self.run_until(lambda: self.settings_received, timeout):
            raise AssertionError(
                f"no SETTINGS from the server within {timeout}s (closed={self.closed} {self.close_reason})"
            )

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "H2Peer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Writes whatever h2 has queued; a peer that already closed is recorded, not raised."""
        data = self.conn.data_to_send()
        if data:
            self._send(data)

    def send_raw(self, data: bytes) -> None:
        """Writes bytes verbatim after anything h2 had queued."""
        self.flush()
        self._send(data)

    def _send(self, data: bytes) -> None:
        if self.send_failed:
            return
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout, OSError) as error:
            self.send_failed = True
            self.close_reason = self.close_reason or f"send failed: {error!r}"

    def request(
        self,
        path: str,
        *,
        body: bytes | None = None,
        end_stream: bool = True,
        content_type: str | None = "application/grpc",
        te: str | None = "trailers",
        extra_headers: list[tuple[str, str]] | None = None,
        authority: str | None = None,
    ) -> int:
        """Opens a POST stream to path with gRPC's usual headers; any of them can be left out."""
        stream_id = self.conn.get_next_available_stream_id()
        headers = [
            (":method", "POST"),
            (":scheme", "https" if isinstance(self.sock, ssl.SSLSocket) else "http"),
            (":path", path),
            (":authority", authority or f"{self.host}:{self.port}"),
        ]
        if content_type is not None:
            headers.append(("content-type", content_type))
        if te is not None:
            headers.append(("te", te))
        headers.extend(extra_headers or [])
        self.streams[stream_id] = StreamState(stream_id)
        self.conn.send_headers(
            stream_id, [(k.encode(), v.encode()) for k, v in headers], end_stream=body is None and end_stream
        )
        self.flush()
        if body is not None:
            self.send_body(stream_id, body, end_stream=end_stream)
        return stream_id

    def send_body(self, stream_id: int, body: bytes, *, end_stream: bool, timeout: float = 10.0) -> None:
        """Sends DATA within the server's flow-control windows, waiting for WINDOW_UPDATEs as needed."""
        deadline = time.monotonic() + timeout
        view = memoryview(body)
        if not view:
            if end_stream:
                self.conn.end_stream(stream_id)
                self.flush()
            return
        while view:
            window = min(self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size)
            if window > 0:
                chunk = bytes(view[:window])
                view = view[len(chunk) :]
                self.conn.send_data(stream_id, chunk, end_stream=end_stream and not view)
                self.flush()
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closed or self.streams[stream_id].finished:
                raise AssertionError(
                    f"flow-control window stayed closed with {len(view)} bytes unsent on stream {stream_id}"
                )
            self.pump(min(remaining, 0.5))

    def reset(self, stream_id: int, code: int = h2.errors.ErrorCodes.CANCEL) -> None:
        self.conn.reset_stream(stream_id, error_code=code)
        self.flush()

    # -- receiving ---------------------------------------------------------------------------

    def pump(self, timeout: float) -> bool:
        """Reads what arrives within timeout and feeds it to h2; False if nothing arrived."""
        if self.closed:
            return False
        pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0
        if not pending:
            readable, _, _ = select.select([self.sock], [], [], max(timeout, 0))
            if not readable:
                return False
        try:
            self.sock.settimeout(max(timeout, 0.05))
            data = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError) as error:
            self.closed = True
            self.close_reason = self.close_reason or f"recv failed: {error!r}"
            return False
        if not data:
            self.closed = True
            self.close_reason = self.close_reason or "EOF"
            return False
        if self.raw_inbound:
            self._receive_raw(data)
            return True
        for event in self.conn.receive_data(data):
            self._handle(event)
        self.flush()
        return True

    def use_raw_inbound(self) -> None:
        """From now on, parse what the server sends frame by frame without h2's state machine.

        For connections where the test sent frames h2 knows nothing of, so that the server's
        answers to them (RST_STREAM on a stream h2 thinks idle) would trip h2. SETTINGS and PING
        are still acknowledged.
        """
        self.flush()
        self.raw_inbound = True

    def _receive_raw(self, data: bytes) -> None:
        buffer = self._raw_buffer
        buffer.extend(data)
        while len(buffer) >= 9:
            frame, length = Frame.parse_frame_header(memoryview(bytes(buffer[:9])))
            if len(buffer) < 9 + length:
                return
            frame.parse_body(memoryview(bytes(buffer[9 : 9 + length])))
            del buffer[: 9 + length]
            self.raw_frames.append(frame)
            self.frames_received += 1
            if isinstance(frame, GoAwayFrame):
                self.goaway_code = frame.error_code
                self.goaway_last_stream_id = frame.last_stream_id
            elif isinstance(frame, RstStreamFrame):
                state = self.streams.setdefault(frame.stream_id, StreamState(frame.stream_id))
                state.reset_code = frame.error_code
            elif isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
                self._send(raw_frame(FRAME_SETTINGS, 0x1, 0))
            elif isinstance(frame, PingFrame) and "ACK" not in frame.flags:
                self._send(raw_frame(0x6, 0x1, 0, frame.opaque_data))

    def run_until(self, predicate, timeout: float) -> bool:
        """Pumps until predicate() holds, the connection closes, or timeout passes."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closed:
                return predicate()
            self.pump(min(remaining, 0.25))
        return True

    def wait_for_stream(self, stream_id: int, timeout: float = 5.0) -> StreamState:
        """Waits until the stream ends or is reset; fails the test if it does not within timeout."""
        state = self.streams[stream_id]
        if not self.run_until(lambda: state.finished, timeout):
            raise AssertionError(
                f"no end of stream within {timeout}s; closed={self.closed} ({self.close_reason}) "
                f"goaway_code={self.goaway_code}; {state.describe()}"
            )
        return state

    def wait_for_close(self, timeout: float) -> bool:
        """Reads until the server closes the connection; True if it did within timeout."""
        return self.run_until(lambda: self.closed, timeout)

    def _handle(self, event: h2.events.Event) -> None:
        self.frames_received += 1
        if isinstance(event, h2.events.RemoteSettingsChanged):
            for code, change in event.changed_settings.items():
                self.advertised_settings[int(code)] = change.new_value
            self.settings_received = True
        elif isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
            state = self.streams.setdefault(event.stream_id, StreamState(event.stream_id))
            block = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers]
            if not state.header_blocks and event.stream_ended is not None:
                state.first_block_ended_stream = True
            state.header_blocks.append(block)
        elif isinstance(event, h2.events.DataReceived):
            state = self.streams.setdefault(event.stream_id, StreamState(event.stream_id))
            state.data.extend(event.data)
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            self.streams.setdefault(event.stream_id, StreamState(event.stream_id)).ended = True
        elif isinstance(event, h2.events.StreamReset):
            self.streams.setdefault(event.stream_id, StreamState(event.stream_id)).reset_code = int(
                event.error_code
            )
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaway_code = int(event.error_code)
            self.goaway_last_stream_id = event.last_stream_id


def grpc_request_headers(
    *, encoding: str | None = None, accept_encoding: str | None = "gzip", metadata=()
) -> list[tuple[str, str]]:
    """The optional gRPC request headers: grpc-encoding, grpc-accept-encoding, metadata."""
    headers = []
    if encoding:
        headers.append(("grpc-encoding", encoding))
    if accept_encoding:
        headers.append(("grpc-accept-encoding", accept_encoding))
    headers.extend(metadata)
    return headers


def decoded_messages(state: StreamState) -> list[tuple[bool, bytes]]:
    """The response messages as (was compressed on the wire, decompressed payload)."""
    encoding = state.headers.get("grpc-encoding", "identity")
    result = []
    for flag, payload in state.messages():
        if flag == 1:
            result.append((True, decompress(encoding, payload)))
        elif flag == 0:
            result.append((False, payload))
        else:
            raise AssertionError(f"invalid gRPC compressed flag {flag} on stream {state.stream_id}")
    return result
