"""Prints the journey benchmark's table from the JSON lines scripts/bench/journey.sh collected:
one line per engine, {"engine": …, "report": <bench-journey's JSON line>}."""
import json
import sys


def ms(value) -> str:
    return "-" if value is None or value != value else f"{value:.1f}"


def main() -> None:
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    print(f"{'engine':10} {'orders':>6} {'orders/s':>9} {'Submit p50':>11} {'p99':>7} {'Checkout p50':>13} {'p99':>7} "
          f"{'order p50':>10} {'p99':>7} {'errors':>6}   (latencies in ms)")
    for row in rows:
        r = row["report"]
        if not r:
            print(f"{row['engine']:10} (no result: {row.get('reason', 'the run failed')})")
            continue
        print(f"{row['engine']:10} {r['orders']:>6} {r['orders_per_second']:>9.1f} {ms(r['submit_consultation_p50_ms']):>11} "
              f"{ms(r['submit_consultation_p99_ms']):>7} {ms(r['checkout_p50_ms']):>13} {ms(r['checkout_p99_ms']):>7} "
              f"{ms(r['order_p50_ms']):>10} {ms(r['order_p99_ms']):>7} {r['errors']:>6}")
    # Every call of the journey, p50/p99, side by side per engine.
    engines = [row for row in rows if row["report"]]
    if not engines:
        return
    print()
    header = f"{'call (p50/p99 ms)':22}" + "".join(f" {row['engine']:>16}" for row in engines)
    print(header)
    for call in engines[0]["report"].get("calls", {}):
        cells = []
        for row in engines:
            c = row["report"]["calls"].get(call, {})
            cell = f"{ms(c.get('p50_ms'))}/{ms(c.get('p99_ms'))}"
            if c.get("failed"):
                cell += f" ({c['failed']} failed)"
            cells.append(f" {cell:>16}")
        print(f"{call:22}" + "".join(cells))


if __name__ == "__main__":
    main()
