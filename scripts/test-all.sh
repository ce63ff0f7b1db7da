#!/usr/bin/env bash
# Runs every check and test of the workspace, on a fresh machine as on a developer's.
# Installs what the tests need first: clippy and rustfmt, and Mesa's OpenGL/EGL drivers, on which the UI tests
# render (llvmpipe, on the CPU; no GPU or display needed). Connector tests (a Python venv with moto) add their
# installs here when they land.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(libegl1 libegl-mesa0 libgl1-mesa-dri)
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! cargo clippy --version >/dev/null 2>&1 || ! cargo fmt --version >/dev/null 2>&1; then
  rustup component add clippy rustfmt
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
