#!/usr/bin/env bash
# Creates or refreshes the Python test environment at <repo>/.venv.
#
# Idempotent: a stamp file inside the venv holds the hash of the requirement list and the
# interpreter version; when it matches and the venv's python runs, nothing is done.
# The system pip on Debian 12 cannot resolve grpcio-tools, so pip is upgraded inside the venv
# before anything else is installed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${MEDEXPRESS_VENV:-$repo_root/.venv}"
stamp="$venv/.medexpress-requirements.sha256"

requirements=(
  "pip>=23.2"
  "grpcio>=1.60"
  "grpcio-tools>=1.60"
  "grpcio-health-checking>=1.60"
  "grpcio-reflection>=1.60"
  "protobuf>=4.25"
  "h2>=4.1"
  "pytest>=7.4"
)

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "python-env: $python not found" >&2
  exit 1
fi

wanted_hash="$(
  { printf '%s\n' "${requirements[@]}"; "$python" -c 'import sys; print(sys.version)'; } \
    | sha256sum | cut -d' ' -f1
)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted_hash" ]] \
  && "$venv/bin/python" -c 'import grpc, grpc_tools, h2, pytest' >/dev/null 2>&1; then
  exit 0
fi

# python3 -m venv needs ensurepip, which Debian ships separately in python3-venv.
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "python-env: installing python3-venv" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  else
    echo "python-env: '$python -m venv' is unavailable; install python3-venv" >&2
    exit 1
  fi
fi

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi

echo "python-env: installing test requirements into $venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "${requirements[0]}"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "${requirements[@]:1}"
"$venv/bin/python" -c 'import grpc, grpc_tools, grpc_health, grpc_reflection, h2, pytest'
printf '%s\n' "$wanted_hash" > "$stamp"
