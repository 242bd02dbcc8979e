#!/usr/bin/env bash
# Installs whatever Circle is missing, and nothing twice: Debian packages, npm dependencies, the mediasoup
# worker (built from source against Debian's libraries, cached outside the checkout). Safe to run repeatedly.
#   scripts/setup.sh          what the server needs
#   scripts/setup.sh --test   plus what the tests need (Chromium, redis-server: the tests start their own)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=node-env.sh
source scripts/node-env.sh
log() { printf '[setup] %s\n' "$*" >&2; }

# coturn: the local demo's TURN relay (start.sh), and the tests'.
packages=(meson ninja-build pkg-config g++ make cmake curl xz-utils patch libssl-dev libabsl-dev libsrtp2-dev libusrsctp-dev coturn openssl)
# The tests start their own redis-server and Prometheus (promtool tests the alert rules), and call the phone bridge
# with sipp (sip-tester) and, over TLS with SRTP, with baresip (baresip-core); none runs as a service. nftables blocks a test browser's UDP inside a network namespace;
# certutil (libnss3-tools) makes a test browser trust the test CA of a TURN relay's TLS certificate; Firefox ESR is
# the second browser of the end-to-end suite.
if [ "${1:-}" = "--test" ]; then packages+=(chromium firefox-esr redis-server prometheus sip-tester baresip-core nftables libnss3-tools); fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q >/dev/null
  # Packages that ship a service (redis-server, prometheus) must not start one: policy-rc.d says no while installing.
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && made_policy=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$made_policy" ] || $sudo rm -f "$policy"
fi

# npm ci only when package-lock.json changed since the last install. MEDIASOUP_WORKER_BIN stops mediasoup's
# install script from fetching a worker from the network; build-worker.sh provides the worker instead.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.circle-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  log "installing npm dependencies"
  MEDIASOUP_WORKER_BIN="${MEDIASOUP_WORKER_BIN:-provided-by-scripts/build-worker.sh}" \
    npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >node_modules/.circle-lock-hash
fi

bash scripts/build-worker.sh
