# syntax=docker/dockerfile:1
# Circle: multi-stage. The build stage compiles mediasoup's worker from the npm package against Debian 12's
# libraries (FlatBuffers, libuv and liburing from newer Debian source packages), with the same recipe as the README
# (scripts/build-worker.sh); the final stage carries only Node, the runtime libraries the worker links against, and
# the built app.

FROM node:24-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      meson ninja-build pkg-config g++ make cmake curl xz-utils patch libssl-dev libabsl-dev libsrtp2-dev libusrsctp-dev \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# mediasoup's install script would fetch a worker from GitHub; build-worker.sh provides it instead.
RUN MEDIASOUP_WORKER_BIN=provided-by-scripts/build-worker.sh npm ci --no-audit --no-fund --loglevel=error
COPY scripts ./scripts
RUN CIRCLE_CACHE_DIR=/tmp/circle-cache bash scripts/build-worker.sh && rm -rf /tmp/circle-cache
COPY tsconfig.json tsconfig.build.json ./
COPY config ./config
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund --loglevel=error

FROM node:24-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 libabsl20220623 libsrtp2-1 libusrsctp2 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/config ./config
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node assets ./assets
COPY --from=build --chown=node:node /app/node_modules ./node_modules
USER node
# Signaling (and the web app, with CIRCLE_HTTP_SERVE_WEB_APP=true); media: worker i listens on 44444 + i, UDP and
# TCP. The internal port (health, metrics, admin) binds 127.0.0.1 unless CIRCLE_ADMIN_HOST says otherwise.
# Phone dial-in (when enabled): SIP on 5060 UDP and TCP, each call's RTP from 40000-40999/udp.
EXPOSE 3000 44444-44475/udp 44444-44475/tcp 5060/udp 5060/tcp 40000-40999/udp
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CIRCLE_ADMIN_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains (shutdown.drainTimeoutMs); give the container at least that long to stop.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
