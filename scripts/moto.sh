# Sourced by the scripts that need the AWS emulator. `start_moto PORT` starts moto_server (from the tests' venv,
# .venv) on 127.0.0.1:PORT, or on a free port when PORT is 0, waits until it listens, and exports its endpoint
# (AWS_ENDPOINT_URL) with test credentials, which the emulator accepts; `moto_pid` names the process, for the
# caller to stop.
start_moto() {
  local port=$1
  if [ "$port" = 0 ]; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  fi
  .venv/bin/moto_server -H 127.0.0.1 -p "$port" >"/tmp/edgetwin-moto-$port.log" 2>&1 &
  moto_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
}
