"""Prints the benchmark table, the ratios against nghttpd (the HTTP/2 ceiling) and grpcio, and
how ClientKit as the load generator compares with h2load against the same medexpress server."""
import json
import sys

GOALS = {"load": 0.6, "serial": 0.7}


def main() -> None:
    rows = [json.loads(line) for line in open(sys.argv[1])]
    by_label = {row["label"]: row["report"] for row in rows}
    print(f"{'case':36} {'req/s':>10} {'p50 µs':>8} {'p90 µs':>8} {'p99 µs':>8} {'CPU µs/req':>11} {'client CPU':>11}")
    for row in rows:
        r = row["report"]
        # Only the ClientKit rows know their client's CPU time (h2load does not report it).
        client_cpu = r.get("client_cpu_us_per_request")
        client_column = f"{client_cpu:>11.2f}" if client_cpu is not None else ""
        failed = f"  ({r['failed']} failed)" if r.get("failed") else ""
        print(f"{row['label']:36} {r['rps']:>10.0f} {r['p50_us']:>8} {r['p90_us']:>8} {r['p99_us']:>8} "
              f"{r['server_cpu_us_per_request']:>11.2f} {client_column}{failed}")
    print()
    print("ratios (medexpress / reference):")
    for transport in ("h2c", "tls"):
        for load in ("load", "serial"):
            ours = by_label.get(f"medexpress-{transport}-{load}")
            ceiling = by_label.get(f"nghttpd-{transport}-{load}")
            grpcio = by_label.get(f"grpcio-{transport}-{load}")
            if not ours:
                continue
            parts = []
            if ceiling and ceiling["rps"]:
                ratio = ours["rps"] / ceiling["rps"]
                parts.append(f"vs nghttpd {ratio:.2f}x (goal {GOALS[load]}x: {'met' if ratio >= GOALS[load] else 'not met'})")
            if grpcio and grpcio["rps"]:
                parts.append(f"vs grpcio {ours['rps'] / grpcio['rps']:.1f}x")
            cpu = ours["server_cpu_us_per_request"]
            parts.append(f"server CPU {cpu:.2f} µs/req (goal ≤ 5: {'met' if cpu <= 5 else 'not met'})")
            print(f"  {transport} {load:6}: " + "; ".join(parts))
    clientkit_lines = []
    for transport in ("h2c", "tls"):
        for load in ("load", "serial"):
            clientkit = by_label.get(f"clientkit-{transport}-{load}")
            h2load = by_label.get(f"medexpress-{transport}-{load}")
            if not clientkit or not h2load:
                continue
            ratio = f"{clientkit['rps'] / h2load['rps']:.2f}x" if h2load["rps"] else "n/a"
            clientkit_lines.append(
                f"  {transport} {load:6}: ClientKit {clientkit['rps']:.0f} req/s vs h2load {h2load['rps']:.0f} req/s "
                f"= {ratio}; p50 {clientkit['p50_us']} vs {h2load['p50_us']} µs; "
                f"ClientKit CPU {clientkit['client_cpu_us_per_request']:.2f} µs/req")
    if clientkit_lines:
        print()
        print("ClientKit vs h2load as the load generator (same medexpress interop-server; "
              "load: 512 calls in flight, ClientKit on 1 connection, h2load -c 16 -m 32):")
        print("\n".join(clientkit_lines))


if __name__ == "__main__":
    main()
