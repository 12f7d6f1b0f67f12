"""Prints the benchmark table and the ratios against nghttpd (the HTTP/2 ceiling) and grpcio."""
import json
import sys

GOALS = {"load": 0.6, "serial": 0.7}


def main() -> None:
    rows = [json.loads(line) for line in open(sys.argv[1])]
    by_label = {row["label"]: row["report"] for row in rows}
    print(f"{'case':36} {'req/s':>10} {'p50 µs':>8} {'p90 µs':>8} {'p99 µs':>8} {'CPU µs/req':>11}")
    for row in rows:
        r = row["report"]
        print(f"{row['label']:36} {r['rps']:>10.0f} {r['p50_us']:>8} {r['p90_us']:>8} {r['p99_us']:>8} "
              f"{r['server_cpu_us_per_request']:>11.2f}")
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


if __name__ == "__main__":
    main()
