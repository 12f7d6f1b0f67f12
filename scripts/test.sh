#!/usr/bin/env bash
# Every test: generated code is current, the Swift suites (the store's against SQLite and a
# throw-away PostgreSQL cluster), then the Python interop, hostile-peer and serve suites against
# the built binary. Ends with pytest's own summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "== generated code is up to date"
bash scripts/check-generated.sh
echo "== swift build"
swift build
echo "== PostgreSQL for the store suite (a throw-away cluster)"
eval "$(bash scripts/postgres.sh start)"
trap 'bash scripts/postgres.sh stop "$MEDEXPRESS_TEST_POSTGRES_DIR"' EXIT
echo "== swift test"
set +e
swift test 2>&1 | grep -vE "^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking|Applying)"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then echo "swift test failed (exit $status)"; exit "$status"; fi
echo "== python suites"
MEDEXPRESS_BIN="$PWD/.build/debug/medexpress" bash scripts/test-python.sh
