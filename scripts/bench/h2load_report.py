"""Summarises one h2load run: requests/s from its output, latency percentiles from its
per-request log, and the server's CPU time per request from /proc before and after."""
import json
import re
import sys


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def main() -> None:
    output_path, log_path, cpu_before, cpu_after, ticks = sys.argv[1:6]
    text = open(output_path).read()
    rps = re.search(r"finished in [^,]+, ([0-9.]+) req/s", text)
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed", text)
    durations = []
    with open(log_path) as log:
        for line in log:
            parts = line.split()
            if len(parts) >= 3 and parts[1] == "200":
                durations.append(int(parts[2]))
    durations.sort()
    succeeded = int(done.group(2)) if done else 0
    cpu_seconds = (int(cpu_after) - int(cpu_before)) / int(ticks)
    report = {
        "rps": float(rps.group(1)) if rps else 0.0,
        "succeeded": succeeded,
        "failed": int(done.group(3)) if done else -1,
        "p50_us": percentile(durations, 0.50),
        "p90_us": percentile(durations, 0.90),
        "p99_us": percentile(durations, 0.99),
        "server_cpu_us_per_request": (cpu_seconds * 1e6 / succeeded) if succeeded else float("nan"),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
