#!/usr/bin/env bash
# make bench: UnaryCall with a 100-byte payload, server pinned to CPU 0, h2load on CPU 1.
# Compares medexpress interop-server with nghttpd serving the identical response bytes as a
# static file (this machine's HTTP/2 ceiling) and with a grpcio server, over h2c and TLS, at
# -c 16 -m 32 (load) and -c 1 -m 1 (one call at a time). Prints requests/s, latency percentiles
# and the server's CPU time per request, then the ratios. Then the same medexpress server under
# ClientKit's own load generator (medexpress bench-client) instead of h2load, for comparison.
# Last, the journey benchmark (scripts/bench/journey.sh): completed orders per second through the
# whole flow and SubmitConsultation/Checkout latencies, on SQLite and on PostgreSQL.
# Environment: BENCH_DURATION (10s); BENCH_JOURNEY_ORDERS, BENCH_JOURNEY_CUSTOMERS,
# BENCH_JOURNEY_ENGINES (see scripts/bench/journey.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

bash scripts/install-deps.sh >/dev/null
bash scripts/python-env.sh >/dev/null
echo "== release build"
swift build -c release --product medexpress 2>&1 | tail -1
bin=$repo/.build/release/medexpress
python=$repo/.venv/bin/python

duration=${BENCH_DURATION:-10s}
server_cpu=0
client_cpu=1
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 scripts/bench/payloads.py "$repo" "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# start_server NAME READY-REGEX COMMAND...: runs it on the server CPU, waits for the port.
start_server() {
  local name=$1 log=$work/$1.log
  shift
  taskset -c "$server_cpu" "$@" >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 100); do
    if grep -qE "listening on [0-9.]+:[0-9]+" "$log"; then break; fi
    sleep 0.1
  done
  port=$(grep -oE "listening on [0-9.]+:[0-9]+" "$log" | head -1 | sed -E 's/.*:([0-9]+)$/\1/')
  [ -n "$port" ] || { echo "$name did not start:"; cat "$log"; exit 1; }
  server_pid=$pid
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_nghttpd() {
  local tls=$1 port_
  port_=$(free_port)
  if [ "$tls" = tls ]; then
    taskset -c "$server_cpu" nghttpd -n 1 -d "$work/htdocs" "$port_" "$work/key.pem" "$work/cert.pem" >/dev/null 2>&1 &
  else
    taskset -c "$server_cpu" nghttpd --no-tls -n 1 -d "$work/htdocs" "$port_" >/dev/null 2>&1 &
  fi
  server_pid=$!
  pids+=("$server_pid")
  port=$port_
  sleep 0.5
}

results=$work/results.jsonl
# measure LABEL TARGET TRANSPORT URL CLIENTS STREAMS
measure() {
  local label=$1 target=$2 transport=$3 url=$4 c=$5 m=$6
  local headers=(-H "content-type: application/grpc" -H "te: trailers")
  taskset -c "$client_cpu" h2load -n 20000 -c "$c" -m "$m" -t 1 -d "$work/request.bin" "${headers[@]}" "$url" >/dev/null 2>&1 || true
  local before after
  before=$(cpu_ticks "$server_pid")
  taskset -c "$client_cpu" h2load -D "$duration" -c "$c" -m "$m" -t 1 -d "$work/request.bin" "${headers[@]}" \
    --log-file="$work/$label.reqlog" "$url" >"$work/$label.out" 2>&1 || true
  after=$(cpu_ticks "$server_pid")
  local json
  json=$(python3 scripts/bench/h2load_report.py "$work/$label.out" "$work/$label.reqlog" "$before" "$after" "$ticks")
  echo "{\"label\": \"$label\", \"target\": \"$target\", \"transport\": \"$transport\", \"load\": \"-c $c -m $m\", \"report\": $json}" >>"$results"
  printf '  %-34s %s\n' "$label" "$json"
}

path=/grpc.testing.TestService/UnaryCall
for transport in h2c tls; do
  scheme=http; tls_args=()
  [ "$transport" = tls ] && { scheme=https; tls_args=(--use_tls --cert "$work/cert.pem" --key "$work/key.pem"); }

  echo "== medexpress interop-server ($transport)"
  start_server medexpress-$transport "$bin" interop-server --port 0 --event-loops 1 --log-level warning "${tls_args[@]}"
  measure "medexpress-$transport-load" medexpress "$transport" "$scheme://127.0.0.1:$port$path" 16 32
  measure "medexpress-$transport-serial" medexpress "$transport" "$scheme://127.0.0.1:$port$path" 1 1
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true

  echo "== nghttpd static file ($transport)"
  start_nghttpd "$transport"
  measure "nghttpd-$transport-load" nghttpd "$transport" "$scheme://127.0.0.1:$port$path" 16 32
  measure "nghttpd-$transport-serial" nghttpd "$transport" "$scheme://127.0.0.1:$port$path" 1 1
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true

  echo "== grpcio ($transport)"
  grpc_tls=()
  [ "$transport" = tls ] && grpc_tls=(--use_tls --cert "$work/cert.pem" --key "$work/key.pem")
  start_server grpcio-$transport "$python" Tests/interop/grpcio_test_server.py --port 0 "${grpc_tls[@]}"
  measure "grpcio-$transport-load" grpcio "$transport" "$scheme://127.0.0.1:$port$path" 16 32
  measure "grpcio-$transport-serial" grpcio "$transport" "$scheme://127.0.0.1:$port$path" 1 1
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
done

# ClientKit as the load generator against the same server: bench-client on the client CPU,
# 512 calls in flight over one connection (load) and one at a time (serial). Like measure: a
# warm-up run first, then the server's CPU ticks around the measured run (which therefore also
# holds its connection set-up, well under a millisecond of server CPU).
bench_seconds=$(python3 -c '
import re, sys
m = re.fullmatch(r"([0-9.]+)(ms|us|s|m|h)?", sys.argv[1])
if not m: sys.exit("BENCH_DURATION: cannot read " + sys.argv[1])
print(float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1, None: 1, "m": 60, "h": 3600}[m.group(2)])' "$duration")
# measure_clientkit LABEL TRANSPORT CONCURRENCY [bench-client TLS options]
measure_clientkit() {
  local label=$1 transport=$2 c=$3
  shift 3
  local client=(taskset -c "$client_cpu" "$bin" bench-client --target "127.0.0.1:$port" --concurrency "$c" "$@")
  "${client[@]}" --warmup-seconds 0 --duration-seconds 1 >/dev/null 2>&1 || true
  local before after client_json
  before=$(cpu_ticks "$server_pid")
  client_json=$("${client[@]}" --warmup-seconds 0 --duration-seconds "$bench_seconds" 2>"$work/$label.err") || true
  after=$(cpu_ticks "$server_pid")
  [ -n "$client_json" ] || client_json='{"rps": 0.0, "succeeded": 0, "failed": -1, "p50_us": NaN, "p90_us": NaN, "p99_us": NaN, "client_cpu_us_per_request": NaN}'
  [ -s "$work/$label.err" ] && sed 's/^/    /' "$work/$label.err"
  local json
  json=$(python3 -c '
import json, sys
report = json.loads(sys.argv[1])
cpu_seconds = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[4])
report["server_cpu_us_per_request"] = cpu_seconds * 1e6 / report["succeeded"] if report["succeeded"] else float("nan")
print(json.dumps(report))' "$client_json" "$before" "$after" "$ticks")
  echo "{\"label\": \"$label\", \"target\": \"medexpress\", \"transport\": \"$transport\", \"load\": \"clientkit --concurrency $c\", \"report\": $json}" >>"$results"
  printf '  %-34s %s\n' "$label" "$json"
}

for transport in h2c tls; do
  tls_args=(); client_tls=()
  [ "$transport" = tls ] && { tls_args=(--use_tls --cert "$work/cert.pem" --key "$work/key.pem"); client_tls=(--ca "$work/cert.pem" --server-name localhost); }
  echo "== ClientKit load generator ($transport)"
  start_server clientkit-$transport "$bin" interop-server --port 0 --event-loops 1 --log-level warning "${tls_args[@]}"
  measure_clientkit "clientkit-$transport-load" "$transport" 512 "${client_tls[@]}"
  measure_clientkit "clientkit-$transport-serial" "$transport" 1 "${client_tls[@]}"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
done

echo "== idle TLS connections"
data=$work/data
start_server medexpress-idle "$bin" serve --data-dir "$data" --listen 127.0.0.1:0 --event-loops 1 --log-level warning
ulimit -n 4096 2>/dev/null || true
python3 scripts/bench/idle_connections.py "$port" "$server_pid" 1000 "$data/tls/ca.pem"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true

echo
python3 scripts/bench/summary.py "$results"

echo
bash scripts/bench/journey.sh "$bin"
