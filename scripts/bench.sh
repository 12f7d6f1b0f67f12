#!/usr/bin/env bash
# make bench: UnaryCall with a 100-byte payload, server pinned to CPU 0, h2load on CPU 1.
# Compares medexpress interop-server with nghttpd serving the identical response bytes as a
# static file (this machine's HTTP/2 ceiling) and with a grpcio server, over h2c and TLS, at
# -c 16 -m 32 (load) and -c 1 -m 1 (one call at a time). Prints requests/s, latency percentiles
# and the server's CPU time per request, then the ratios. Environment: BENCH_DURATION (10s).
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

echo "== idle TLS connections"
data=$work/data
start_server medexpress-idle "$bin" serve --data-dir "$data" --listen 127.0.0.1:0 --event-loops 1 --log-level warning
ulimit -n 4096 2>/dev/null || true
python3 scripts/bench/idle_connections.py "$port" "$server_pid" 1000 "$data/tls/ca.pem"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true

echo
python3 scripts/bench/summary.py "$results"
