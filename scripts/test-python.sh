#!/usr/bin/env bash
# Runs the Python suites (interop, hostile peers, serve) against MedExpress RPC.
#
#   scripts/test-python.sh [pytest args...]
#
# Environment:
#   MEDEXPRESS_BIN   the medexpress binary (default .build/debug/medexpress); tests that need it
#                    are skipped, saying so, when it does not exist
#   INTEROP_TARGET   medexpress (default) or grpcio: which server the interop cases call
#   HOSTILE_TARGET   medexpress (default) or grpcio: comparison run of the hostile cases
# pytest's own summary line is the last line printed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo_root/scripts/python-env.sh"
cd "$repo_root"
exec "$repo_root/.venv/bin/python" -m pytest -c "$repo_root/pytest.ini" --rootdir "$repo_root" \
  Tests/interop Tests/hostile Tests/serve "$@"
