#!/usr/bin/env bash
# A local PostgreSQL for running TĐKT Flow on a real database during development.
#
#   deploy/dev/start-postgres.sh [start|stop|status]
#
# The cluster keeps its data in var/dev-postgres (TDKT_DEV_PG_DIR) and listens on
# 127.0.0.1:55432 (TDKT_DEV_PG_PORT). It needs Debian's `postgresql` package. `start` prints
# the variable to export; run it again at any time to see it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
base=${TDKT_DEV_PG_DIR:-$root/var/dev-postgres}
port=${TDKT_DEV_PG_PORT:-55432}
data=$base/data
user=tdkt
database=tdkt

find_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$found" ]; then
        found=$(command -v "$1" || true)
    fi
    if [ -z "$found" ]; then
        echo "PostgreSQL's $1 was not found: install Debian's postgresql package" \
             "(apt-get install postgresql)." >&2
        exit 1
    fi
    echo "$found"
}

# PostgreSQL refuses to run as root: as root, run it as the postgres system user.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_ctl=$(find_bin pg_ctl)

print_env() {
    local password
    password=$(cat "$base/password")
    echo "PostgreSQL is running on 127.0.0.1:$port. For the service:"
    echo "  export TDKT_DATABASE_URL=postgresql+psycopg://$user:$password@127.0.0.1:$port/$database"
}

init_cluster() {
    local initdb
    initdb=$(find_bin initdb)
    mkdir -p "$base"
    chmod 0700 "$base"
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n' > "$base/password"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$base" "$base/password"
        if ! runuser -u postgres -- test -x "$base"; then
            echo "The postgres user cannot reach $base: set TDKT_DEV_PG_DIR to a directory" \
                 "it can traverse (for example under /var/tmp)." >&2
            exit 1
        fi
    fi
    as_server "$initdb" -D "$data" --auth=scram-sha-256 --username="$user" \
        --pwfile="$base/password" --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$data/postgresql.conf" <<EOF

# development cluster of TĐKT Flow
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
max_connections = 200
EOF
}

case "${1:-start}" in
start)
    [ -f "$data/PG_VERSION" ] || init_cluster
    if ! as_server "$pg_ctl" status -D "$data" >/dev/null 2>&1; then
        as_server "$pg_ctl" start -D "$data" -l "$base/server.log" -w -t 30 >/dev/null || {
            echo "PostgreSQL did not start; the end of $base/server.log:" >&2
            tail -n 20 "$base/server.log" >&2
            exit 1
        }
    fi
    createdb=$(find_bin createdb)
    psql=$(find_bin psql)
    export PGPASSWORD
    PGPASSWORD=$(cat "$base/password")
    exists=$("$psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -tAc \
        "select 1 from pg_database where datname = '$database'")
    if [ "$exists" != "1" ]; then
        "$createdb" -h 127.0.0.1 -p "$port" -U "$user" "$database"
    fi
    print_env
    ;;
stop)
    if [ -f "$data/PG_VERSION" ] && as_server "$pg_ctl" status -D "$data" >/dev/null 2>&1; then
        as_server "$pg_ctl" stop -D "$data" -m fast >/dev/null
    fi
    echo "PostgreSQL on 127.0.0.1:$port is stopped (data kept in $base)."
    ;;
status)
    if [ -f "$data/PG_VERSION" ] && as_server "$pg_ctl" status -D "$data" >/dev/null 2>&1; then
        print_env
    else
        echo "PostgreSQL on 127.0.0.1:$port is not running."
        exit 3
    fi
    ;;
*)
    echo "usage: $0 [start|stop|status]" >&2
    exit 2
    ;;
esac
