#!/usr/bin/env bash
# The mirror's soak benchmark (not a test): starts moto (the tests' venv) on a free loopback port, then polls it
# through the fault proxy for MINUTES (default 30) and prints memory at the start and end, poll latency p50/p95
# and errors by kind (connectors/examples/soak.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
source scripts/moto.sh
start_moto 0
trap 'kill $moto_pid 2>/dev/null || true' EXIT
cargo run --release --quiet -p connectors --example soak -- "$minutes"
