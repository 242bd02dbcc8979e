#!/usr/bin/env bash
# Starts Circle on its embedded defaults (in-memory state, one worker per core, demo at http://localhost:3000),
# installing whatever is missing first. Configuration comes from the environment (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-env.sh
source scripts/node-env.sh
bash scripts/setup.sh
npm run --silent build
# The local demo: development mode, the web app, and demo tokens (POST /dev/token), which bind the server to
# loopback unless CIRCLE_HTTP_HOST says otherwise. A deployment sets NODE_ENV=production and mints its own tokens.
export NODE_ENV="${NODE_ENV:-development}"
export CIRCLE_AUTH_DEV_TOKENS="${CIRCLE_AUTH_DEV_TOKENS:-true}"
export CIRCLE_HTTP_SERVE_WEB_APP="${CIRCLE_HTTP_SERVE_WEB_APP:-true}"
# The local TURN relay (coturn on 127.0.0.1:3478), unless the operator names a relay of their own.
if [ -z "${CIRCLE_TURN_SECRET:-}" ]; then
  if secret=$(bash scripts/local-turn.sh); then
    export CIRCLE_TURN_SECRET="$secret" CIRCLE_TURN_HOST="${CIRCLE_TURN_HOST:-127.0.0.1}" CIRCLE_TURN_TLS_PORT="${CIRCLE_TURN_TLS_PORT:-0}"
  fi
fi
exec node dist/src/main.js
