"""Opens N idle TLS connections (ALPN h2, client preface and SETTINGS sent) to a server and
prints the server's resident memory before and after, in MiB."""
import socket
import ssl
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    port, pid, count, ca = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    before = rss_kib(pid)
    connections = []
    for _ in range(count):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        tls = context.wrap_socket(raw, server_hostname="localhost")
        tls.sendall(PREFACE)
        connections.append(tls)
    time.sleep(1.0)
    after = rss_kib(pid)
    print(f"{count} idle TLS connections: server RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB "
          f"(+{(after - before) / 1024:.1f} MiB, {(after - before) / count:.1f} KiB each)")
    for connection in connections:
        connection.close()


if __name__ == "__main__":
    main()
