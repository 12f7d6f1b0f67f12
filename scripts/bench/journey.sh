#!/usr/bin/env bash
# The journey benchmark (make bench-journey; also the last section of make bench): completed
# orders per second through the whole flow (consultation, checkout, prescriber approval,
# dispensing, shipment, courier events up to DELIVERED) and the p50/p99 latency of
# SubmitConsultation, Checkout and every other call, with concurrent customers, on SQLite and on
# PostgreSQL. For each engine: a fresh data directory with scripts/demo-data.sh's staff and service
# accounts plus a COURIER account (bench-courier), `serve --demo` over TLS, then
# `medexpress bench-journey` (customers registered and signed in before the clock starts).
# PostgreSQL is a throw-away cluster from scripts/postgres.sh. Nothing is pinned to a CPU: the
# server, the database and the load generator share the machine, as a small deployment would.
#   scripts/bench/journey.sh [MEDEXPRESS_BINARY]   (without one: a release build in .build)
# Environment: BENCH_JOURNEY_ORDERS (200), BENCH_JOURNEY_CUSTOMERS (8),
# BENCH_JOURNEY_ENGINES ("sqlite postgres").
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

if [ $# -ge 1 ]; then
  bin=$1
else
  bash scripts/install-deps.sh >/dev/null
  echo "== release build"
  swift build -c release --product medexpress 2>&1 | tail -1
  bin=$repo/.build/release/medexpress
fi
[ -x "$bin" ] || { echo "no medexpress binary at $bin" >&2; exit 1; }

orders=${BENCH_JOURNEY_ORDERS:-200}
customers=${BENCH_JOURNEY_CUSTOMERS:-8}
engines=${BENCH_JOURNEY_ENGINES:-sqlite postgres}
# The engine is chosen here, per run, never by the caller's environment.
unset MEDEXPRESS_DATABASE_URL

work=$(mktemp -d)
pids=()
pg_dir=
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$pg_dir" ] && bash "$repo/scripts/postgres.sh" stop "$pg_dir"
  rm -rf "$work"
}
trap cleanup EXIT

results=$work/journey.jsonl
: >"$results"

# no_result ENGINE REASON: a row saying why there are no numbers.
no_result() {
  python3 -c 'import json, sys; print(json.dumps({"engine": sys.argv[1], "report": None, "reason": sys.argv[2]}))' "$1" "$2" >>"$results"
}

# run_engine ENGINE [DATABASE_URL]
run_engine() {
  local engine=$1 url=${2:-} data=$work/$1/data log=$work/$1/serve.log
  mkdir -p "$work/$engine"
  local database=()
  [ -n "$url" ] && database=(--database "$url")
  echo "== journey on $engine: $orders orders, $customers concurrent customers"
  # demo-data.sh's administration commands read the database from MEDEXPRESS_DATABASE_URL.
  MEDEXPRESS_DATABASE_URL=$url bash scripts/demo-data.sh "$data" "$bin" >"$work/$engine/demo-data.log" 2>&1 \
    || { cat "$work/$engine/demo-data.log"; no_result "$engine" "scripts/demo-data.sh failed"; return; }
  MEDEXPRESS_DATABASE_URL=$url "$bin" service-account add --data-dir "$data" --name bench-courier --role COURIER \
    >>"$work/$engine/demo-data.log" 2>&1 \
    || { cat "$work/$engine/demo-data.log"; no_result "$engine" "service-account add failed"; return; }

  "$bin" serve --data-dir "$data" "${database[@]}" --listen 127.0.0.1:0 --demo --log-level warning >"$log" 2>&1 &
  local server_pid=$!
  pids+=("$server_pid")
  local port=
  for _ in $(seq 1 300); do
    port=$(grep -oE "listening on [0-9.]+:[0-9]+" "$log" | head -1 | sed -E 's/.*:([0-9]+)$/\1/' || true)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "serve did not start:"; cat "$log"
    kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
    no_result "$engine" "serve did not start"
    return
  fi

  local json
  json=$(timeout 900 "$bin" bench-journey --server "127.0.0.1:$port" --data-dir "$data" \
    --customers "$customers" --orders "$orders" 2>"$work/$engine/bench.err") || true
  [ -s "$work/$engine/bench.err" ] && sed 's/^/    /' "$work/$engine/bench.err"
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  if [ -z "$json" ]; then
    no_result "$engine" "bench-journey failed"
    return
  fi
  printf '  %s\n' "$json"
  python3 -c 'import json, sys; print(json.dumps({"engine": sys.argv[1], "report": json.loads(sys.argv[2])}))' \
    "$engine" "$json" >>"$results"
}

for engine in $engines; do
  case "$engine" in
  sqlite) run_engine sqlite ;;
  postgres)
    if exports=$(bash scripts/postgres.sh start 2>"$work/postgres.err"); then
      eval "$exports"
      pg_dir=$MEDEXPRESS_TEST_POSTGRES_DIR
      # A fresh cluster: its postgres database is the benchmark's alone.
      run_engine postgres "$MEDEXPRESS_TEST_POSTGRES_URL"
    else
      echo "== journey on postgres: skipped, no throw-away cluster:"; sed 's/^/    /' "$work/postgres.err"
      no_result postgres "scripts/postgres.sh start failed"
    fi
    ;;
  *) echo "unknown engine $engine (sqlite, postgres)" >&2; exit 2 ;;
  esac
done

echo
echo "journey: completed orders per second through the whole flow, $customers concurrent customers"
python3 scripts/bench/journey_report.py "$results"
