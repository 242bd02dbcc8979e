#!/usr/bin/env bash
# Starts Circle on its embedded defaults (in-memory state, one worker per core, demo at http://localhost:3000),
# installing whatever is missing first. Configuration comes from the environment (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
exec node dist/src/main.js
