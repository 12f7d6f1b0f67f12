"""Writes the benchmark's request and response bodies: gRPC-framed SimpleRequest/SimpleResponse
with a 100-byte payload, encoded by protoc from the project's own protos."""
import pathlib
import struct
import subprocess
import sys

PAYLOAD_BYTES = 100


def encode(repo: pathlib.Path, message: str, text: str) -> bytes:
    result = subprocess.run(
        ["protoc", f"--encode=grpc.testing.{message}", "-I", str(repo / "Protos"), "grpc/testing/messages.proto"],
        input=text.encode(), capture_output=True, check=True)
    return result.stdout


def framed(message: bytes) -> bytes:
    return struct.pack(">BI", 0, len(message)) + message


def main() -> None:
    repo, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    zeros = "\\000" * PAYLOAD_BYTES
    request = encode(repo, "SimpleRequest",
                     f'response_type: COMPRESSABLE response_size: {PAYLOAD_BYTES} payload {{ body: "{zeros}" }}')
    response = encode(repo, "SimpleResponse", f'payload {{ body: "{zeros}" }}')
    out.mkdir(parents=True, exist_ok=True)
    (out / "request.bin").write_bytes(framed(request))
    static = out / "htdocs" / "grpc.testing.TestService"
    static.mkdir(parents=True, exist_ok=True)
    (static / "UnaryCall").write_bytes(framed(response))


if __name__ == "__main__":
    main()
