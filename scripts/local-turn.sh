#!/usr/bin/env bash
# The local demo's TURN relay: Debian's coturn on 127.0.0.1:3478 (UDP and TCP, no TLS), relaying only to this
# machine, with a secret generated once and kept in .circle/ (never committed). Starts it unless it already runs;
# prints the secret for start.sh to hand to Circle (CIRCLE_TURN_SECRET). A deployment runs its own coturn instead
# (README, "TURN relay").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.circle"
mkdir -p "$state"
chmod 700 "$state"
[ -s "$state/turn-secret" ] || (umask 077 && openssl rand -hex 32 >"$state/turn-secret")
secret=$(cat "$state/turn-secret")
pid=$(cat "$state/turn.pid" 2>/dev/null || true)
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  command -v turnserver >/dev/null || { echo "[local-turn] coturn is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
  # -o: a daemon of its own, so it outlives this script; the demo's Circle and it are stopped independently.
  turnserver -o --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 --listening-port 3478 --realm circle.local \
    --use-auth-secret --static-auth-secret="$secret" --fingerprint --no-cli --no-tls --no-dtls \
    --min-port 49160 --max-port 49359 --denied-peer-ip=0.0.0.0-255.255.255.255 \
    --denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --allowed-peer-ip=127.0.0.1 \
    --allow-loopback-peers --pidfile "$state/turn.pid" --log-file "$state/turn.log" --simple-log --no-stdout-log >/dev/null
  for _ in $(seq 50); do [ -s "$state/turn.pid" ] && break; sleep 0.1; done
  echo "[local-turn] coturn relaying on 127.0.0.1:3478 (pid $(cat "$state/turn.pid" 2>/dev/null || echo '?'))" >&2
fi
echo "$secret"
