#!/usr/bin/env bash
# Creates or refreshes the Python test environment at <repo>/.venv (override: MEDEXPRESS_VENV).
#
# Idempotent and quick: a stamp file inside the venv holds a hash of the requirement list and of
# the interpreter that made it; when it matches and the packages import, nothing is done. On any
# mismatch the venv is made anew. The system pip on Debian 12 cannot resolve grpcio-tools, so pip
# is upgraded inside the venv before anything else is installed.
# Interpreter: $PYTHON, else python3 from PATH; /usr/bin/python3 if that one has no venv module.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${MEDEXPRESS_VENV:-$repo_root/.venv}"
stamp="$venv/.medexpress-requirements.sha256"

requirements=(
  "grpcio>=1.60"
  "grpcio-tools>=1.60"
  "grpcio-health-checking>=1.60"
  "grpcio-reflection>=1.60"
  "protobuf>=4.25"
  "h2>=4.1"
  "pytest>=7.4"
)
pip_requirement="pip>=23.2"

has_venv_module() {
  "$1" -c 'import venv, ensurepip' >/dev/null 2>&1
}

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  python=/usr/bin/python3
fi

# python3 -m venv needs ensurepip, which Debian ships separately in python3-venv.
if ! has_venv_module "$python"; then
  if [[ -x /usr/bin/python3 ]] && has_venv_module /usr/bin/python3; then
    python=/usr/bin/python3
  elif command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "python-env: installing python3-venv" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    has_venv_module "$python" || python=/usr/bin/python3
  fi
  if ! has_venv_module "$python"; then
    echo "python-env: '$python -m venv' is unavailable; install python3-venv" >&2
    exit 1
  fi
fi

wanted_hash="$(
  {
    printf '%s\n' "$pip_requirement" "${requirements[@]}"
    "$python" -c 'import sys; print(sys.version); print(sys.base_prefix)'
  } | sha256sum | cut -d' ' -f1
)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted_hash" ]] \
  && "$venv/bin/python" -c 'import grpc, grpc_tools, grpc_health, grpc_reflection, h2, pytest' >/dev/null 2>&1; then
  exit 0
fi

echo "python-env: creating $venv with $("$python" --version 2>&1)" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
pip_install=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"${pip_install[@]}" --upgrade "$pip_requirement"
"${pip_install[@]}" "${requirements[@]}"
"$venv/bin/python" -c 'import grpc, grpc_tools, grpc_health, grpc_reflection, h2, pytest'
printf '%s\n' "$wanted_hash" >"$stamp"
