#!/usr/bin/env bash
# Makes the machine ready for the whole suite: installs PostgreSQL and Redis from Debian when
# they are absent, starts them on loopback, creates the test role and databases, and prints the
# variables the tests read. Safe to run again. Developers: `eval "$(scripts/services.sh --env)"`.
set -euo pipefail

quiet=false
[ "${1:-}" = "--env" ] && quiet=true
say() { $quiet || echo "$@" >&2; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
command -v pg_ctlcluster >/dev/null 2>&1 && [ -n "$(ls /etc/postgresql 2>/dev/null)" ] || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} from Debian"
  sudo_ apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq "${need[@]}" >&2
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  say "starting PostgreSQL"
  sudo_ pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start >&2
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >&2
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi

# A password role (Debian's pg_hba asks for scram on 127.0.0.1); superuser because the tests
# create and drop schemas freely and the benchmarks run pgbench.
psql_() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- psql -qAtX "$@"; else sudo -u postgres psql -qAtX "$@"; fi
}
if [ "$(psql_ -c "select 1 from pg_roles where rolname = 'flowplane'")" != "1" ]; then
  say "creating role flowplane"
  psql_ -c "create role flowplane login superuser password 'flowplane'" >/dev/null
fi
for db in test flowplane; do
  if [ "$(psql_ -c "select 1 from pg_database where datname = '$db'")" != "1" ]; then
    say "creating database $db"
    psql_ -c "create database $db owner flowplane" >/dev/null
  fi
done

echo "export DATABASE_URL=postgresql://flowplane:flowplane@127.0.0.1:5432/test"
echo "export REDIS_URL=redis://127.0.0.1:6379"
