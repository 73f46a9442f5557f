#!/usr/bin/env bash
# Make PostgreSQL reachable on 127.0.0.1:5432 as user postgres without a
# password, with the unaccent and pg_trgm extensions Relais needs: start the
# local cluster when it is stopped, install PostgreSQL when it is missing, and
# trust loopback connections when the cluster asks for a password (fine on a
# throwaway development or CI machine; never do this on a server). Quick when
# PostgreSQL already answers. Used by `make run` and by .ci/run.
set -euo pipefail

log() { echo "ensure-postgres: $*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

apt_install() {
  log "installing $*"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
psql_local() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -w -X -Atq "$@"; }
cluster_version() { ls /etc/postgresql 2>/dev/null | head -1; }

if ! command -v pg_isready >/dev/null || ! pg_ready; then
  if [ -z "$(cluster_version)" ]; then
    apt_install postgresql postgresql-contrib
  fi
  v="$(cluster_version)"
  log "starting PostgreSQL $v"
  # "already running" is not an error here; the wait below is the real check.
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  for _ in $(seq 1 60); do
    pg_ready && break
    sleep 1
  done
  if ! pg_ready; then
    log "PostgreSQL $v does not answer on 127.0.0.1:5432 after 60s; its log:"
    tail -n 30 "/var/log/postgresql/postgresql-$v-main.log" >&2 || true
    exit 1
  fi
fi

# Debian's default asks 127.0.0.1 for a password; the tests connect as
# postgres without one. A throwaway CI machine may trust loopback.
if ! psql_local -c 'SELECT 1' >/dev/null 2>&1; then
  v="$(cluster_version)"
  hba="/etc/postgresql/$v/main/pg_hba.conf"
  log "trusting loopback connections in $hba"
  # Only lines at the top win: pg_hba.conf is read first match first.
  if ! head -n 1 "$hba" | grep -q '^host all all 127.0.0.1/32 trust'; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$v" main reload
  for _ in $(seq 1 20); do
    psql_local -c 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! psql_local -c 'SELECT 1' >/dev/null; then
    log "cannot connect as postgres to 127.0.0.1:5432 even after trusting loopback"
    exit 1
  fi
fi

extensions() {
  psql_local -c "SELECT count(*) FROM pg_available_extensions WHERE name IN ('unaccent', 'pg_trgm')"
}
if [ "$(extensions)" != 2 ]; then
  apt_install postgresql-contrib
  if [ "$(extensions)" != 2 ]; then
    log "the unaccent and pg_trgm extensions are still not available"
    exit 1
  fi
fi

log "PostgreSQL ready on 127.0.0.1:5432"
