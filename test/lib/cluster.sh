# Shared by test/demo.sh and test/check.sh: install what is missing, build,
# and run a throwaway PostgreSQL 15 cluster that only these scripts touch.
#
# The cluster lives in a private directory under ${TMPDIR:-/tmp}, listens on
# a Unix socket in that directory only (no TCP), runs as the postgres user
# when started by root, preloads pg_cron, and is stopped and removed on exit,
# also on failure (KEEP_CLUSTER=1 leaves it running for a look around).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
export PG_CONFIG=$PG_BIN/pg_config
PACKAGES=(make gcc postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
          postgresql-$PG_MAJOR-cron postgresql-$PG_MAJOR-pgtap
          libtap-parser-sourcehandler-pgtap-perl libcurl4-openssl-dev python3-aiosmtpd)
CLUSTER_PORT=${CLUSTER_PORT:-54329}
CLUSTER_DIR=

say() { printf '==> %s\n' "$*"; }

# Root installs missing Debian packages; anyone else is told what to run.
ensure_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        say "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "Missing Debian packages. Install them with:" >&2
        echo "  sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
}

# Runs a command as the cluster's owner: postgres when we are root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

build_and_install() {
    say "building and installing the extension"
    make -C "$ROOT" -s clean >/dev/null
    make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" ${PG_CFLAGS:+PG_CFLAGS="$PG_CFLAGS"}
    if [ "$(id -u)" -eq 0 ]; then
        make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
    else
        sudo make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
    fi
}

stop_cluster() {
    [ -n "$CLUSTER_DIR" ] && [ -d "$CLUSTER_DIR" ] || return 0
    if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
        say "cluster left running: psql -h $CLUSTER_DIR -p $CLUSTER_PORT -U postgres"
        say "stop it with: $( [ "$(id -u)" -eq 0 ] && echo 'runuser -u postgres -- ')$PG_BIN/pg_ctl -D $CLUSTER_DIR/data stop"
        return 0
    fi
    as_owner "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
    CLUSTER_DIR=
}

# start_cluster [cron_database]: initdb, configure, start; exports PGHOST etc.
start_cluster() {
    local cron_db=${1:-postgres}
    CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dunning-cluster.XXXXXX")
    trap stop_cluster EXIT
    trap 'exit 130' INT TERM
    chmod 755 "$CLUSTER_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$CLUSTER_DIR"
    say "starting a throwaway PostgreSQL $PG_MAJOR cluster in $CLUSTER_DIR"
    (cd "$CLUSTER_DIR" && as_owner "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres \
        --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$CLUSTER_DIR/initdb.log" 2>&1) \
        || { cat "$CLUSTER_DIR/initdb.log" >&2; return 1; }
    as_owner tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = ''
port = $CLUSTER_PORT
unix_socket_directories = '$CLUSTER_DIR'
shared_preload_libraries = 'pg_cron'
cron.database_name = '$cron_db'
cron.host = '$CLUSTER_DIR'
fsync = off
max_connections = 60
CONF
    (cd "$CLUSTER_DIR" && as_owner "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" \
        -l "$CLUSTER_DIR/server.log" -w -t 60 start >/dev/null) \
        || { cat "$CLUSTER_DIR/server.log" >&2; return 1; }
    export PGHOST=$CLUSTER_DIR PGPORT=$CLUSTER_PORT PGUSER=postgres PGDATABASE=postgres
    export PATH=$PG_BIN:$PATH
}
