#!/usr/bin/env bash
# Runs every check and test of the workspace, on a fresh machine as on a developer's.
# Installs what the tests need first. Today that is only the Rust toolchain's own parts; UI tests (Xvfb, Mesa)
# and connector tests (a Python venv with moto) add their installs here when they land.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo clippy --version >/dev/null 2>&1 || ! cargo fmt --version >/dev/null 2>&1; then
  rustup component add clippy rustfmt
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
