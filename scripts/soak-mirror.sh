#!/usr/bin/env bash
# The mirror's soak benchmark (not a test): starts moto (the tests' venv) on a free loopback port, then polls it
# through the fault proxy for MINUTES (default 30) and prints memory at the start and end, poll latency p50/p95
# and errors by kind (connectors/examples/soak.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$port" >/tmp/edgetwin-soak-moto-$$.log 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_EC2_METADATA_DISABLED=true
cargo run --release --quiet -p connectors --example soak -- "$minutes"
