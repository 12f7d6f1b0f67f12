#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests: a fresh temporary directory, listening on a unix
# socket only (no TCP port to collide with), trust authentication inside that directory.
#   scripts/postgres.sh start      prints `export MEDEXPRESS_TEST_POSTGRES_URL=…` and
#                                  `export MEDEXPRESS_TEST_POSTGRES_DIR=…` lines for eval
#   scripts/postgres.sh stop DIR   stops the cluster and removes DIR
# initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail

bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$dir" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  echo "$dir"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
  bin=$(bin_dir)
  dir=$(mktemp -d /tmp/medexpress-pg.XXXXXX)
  chmod 0755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  user=$( [ "$(id -u)" -eq 0 ] && echo postgres || id -un )
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U "$user" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -c listen_addresses='' -c fsync=on -c max_connections=200" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "export MEDEXPRESS_TEST_POSTGRES_DIR=$dir"
  echo "export MEDEXPRESS_TEST_POSTGRES_URL='postgresql:///postgres?host=$dir&user=$user'"
  ;;
stop)
  dir=${2:?usage: postgres.sh stop DIR}
  [ -d "$dir/data" ] && as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start | stop DIR" >&2
  exit 2
  ;;
esac
