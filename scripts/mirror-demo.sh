#!/usr/bin/env bash
# Mirror mode with no AWS account: starts the AWS emulator (moto, in the tests' venv) on 127.0.0.1:5000 and a
# static web server for the sites' health endpoints on 127.0.0.1:8081, makes the demo deployment from a twin run
# (buckets and objects, Auto Scaling groups, the run's last hours of KPIs and site states in CloudWatch, each
# site's health answer), then opens the console in mirror mode on it (assets/mirror/local.toml). Both servers
# stop when the console closes.
set -euo pipefail
cd "$(dirname "$0")/.."
config=assets/mirror/local.toml

for port in 5000 8081; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: 127.0.0.1:$port is in use; $config expects the emulator on 5000 and the health server on 8081" >&2
    exit 1
  fi
done
if [ ! -x .venv/bin/moto_server ]; then
  echo "== installing moto[server]==5.2.5 into .venv"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "moto[server]==5.2.5"
fi
cargo build --release --quiet

health=$(mktemp -d)
source scripts/moto.sh
start_moto 5000
python3 -m http.server 8081 --bind 127.0.0.1 --directory "$health" >"$health.http.log" 2>&1 &
http_pid=$!
trap 'kill $moto_pid $http_pid 2>/dev/null || true; rm -rf "$health" "$health.http.log"' EXIT

./target/release/edgetwin mirror --config "$config" --create-demo --health-dir "$health"
./target/release/edgetwin mirror --config "$config"
