#!/usr/bin/env bash
# Runs every check and test of the workspace, on a fresh machine as on a developer's; `.ci/run` calls exactly
# this. First it makes sure of what the tests need: the libCacheSim reference trace beside the checkout, Mesa's
# OpenGL/EGL drivers on which the UI tests render (llvmpipe, on the CPU: no GPU or display needed), ffmpeg
# and ffprobe for the real ingest engine's tests, a Python venv with pyarrow (which reads the Parquet exports
# back) and moto (the AWS emulator the connector tests use, started here on a free loopback port and stopped at
# the end), and the clippy and rustfmt of the toolchain pinned in rust-toolchain.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

# -- Test data: the trace tests read ../shared/traces (the shared/ folder beside the checkout).
traces=../shared/traces
if [ ! -f "$traces/reference.txt" ]; then
  echo "error: $traces/reference.txt is missing. The trace tests need the libCacheSim reference trace in" >&2
  echo "       the shared/ folder beside this checkout ($(cd .. && pwd)/shared/traces)." >&2
  exit 1
fi

# -- System packages (Debian names), installed with apt when missing.
debian_packages=(libegl1 libegl-mesa0 libgl1-mesa-dri python3 python3-venv ffmpeg)

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Runs a command as root: directly when root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: installing ${missing[*]} needs root, and sudo is not here: install them as root and rerun" >&2
    exit 1
  fi
}

if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${debian_packages[@]}"; do
    installed "$pkg" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  echo "== no apt here: the UI tests need Mesa's EGL and OpenGL drivers, on Debian ${debian_packages[*]};"
  echo "   install your system's equivalents if the UI tests cannot find an adapter"
fi

# -- Python: the tests' venv (.venv): pyarrow reads the Parquet exports back, as an independent reader; moto
# emulates AWS for the connector tests.
python_packages=(pyarrow==26.0.1 "moto[server]==5.2.5")
if [ ! -x .venv/bin/python ]; then
  echo "== making the tests' Python venv (.venv)"
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import pyarrow, moto" >/dev/null 2>&1 || [ ! -x .venv/bin/moto_server ]; then
  echo "== installing ${python_packages[*]} into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "${python_packages[@]}"
fi

# -- The AWS emulator: moto_server on a free loopback port for the connector tests, with test credentials,
# stopped when this script ends.
source scripts/moto.sh
start_moto 0
trap 'kill $moto_pid 2>/dev/null || true' EXIT
echo "== moto (AWS emulator) on $AWS_ENDPOINT_URL"

# -- Rust: the toolchain comes from rust-toolchain.toml; rustup adds its components if they are missing.
if ! cargo clippy --version >/dev/null 2>&1 || ! cargo fmt --version >/dev/null 2>&1; then
  rustup component add clippy rustfmt
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
