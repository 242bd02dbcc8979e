#!/usr/bin/env bash
# Provides the mediasoup C++ worker without GitHub or PyPI: builds it from the mediasoup npm package against
# Debian's own libraries, caches the binary outside the checkout (keyed by mediasoup version and this recipe),
# and installs it where mediasoup looks by default, so nothing at run time needs MEDIASOUP_WORKER_BIN.
#
# Order of preference: MEDIASOUP_WORKER_BIN if it names an executable; a worker already installed in
# node_modules; the cached build for this key; a fresh build (about 7 minutes on 2 cores).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pkg="$root/node_modules/mediasoup"
installed="$pkg/worker/out/Release/mediasoup-worker"
shims="$root/scripts/worker-shims"

log() { printf '[build-worker] %s\n' "$*" >&2; }

[ -f "$pkg/package.json" ] || { log "node_modules/mediasoup is missing: run npm ci first"; exit 1; }
version=$(node -p "require('$pkg/package.json').version")

install_binary() {
  mkdir -p "$(dirname "$installed")"
  if [ "$(realpath "$1")" != "$(realpath -m "$installed")" ]; then
    cp "$1" "$installed.tmp" && mv "$installed.tmp" "$installed"
  fi
  chmod +x "$installed"
  log "worker for mediasoup $version at $installed"
}

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ] && [ -x "$MEDIASOUP_WORKER_BIN" ]; then
  install_binary "$MEDIASOUP_WORKER_BIN"
  exit 0
fi

recipe_hash=$(cat "$0" $(find "$shims" -type f | sort) | sha256sum | cut -c1-12)
cache_root=${CIRCLE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/circle}
cached="$cache_root/mediasoup-worker-$version-$recipe_hash/mediasoup-worker"
stamp="$pkg/worker/out/Release/.circle-recipe"

if [ -x "$installed" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version-$recipe_hash" ]; then
  log "worker already installed ($version-$recipe_hash)"
  exit 0
fi

if [ ! -x "$cached" ]; then
  mkdir -p "$cache_root"
  exec 9>"$cache_root/.build.lock"
  flock 9
  if [ ! -x "$cached" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cp -r "$pkg/worker" "$work/worker"
    cd "$work/worker"
    rm -rf out
    for shim in "$shims"/*/; do
      name=$(basename "$shim")
      dir=$(sed -n 's/^directory *= *//p' "subprojects/$name.wrap")
      mkdir -p "subprojects/$dir"
      cp "$shim"/* "subprojects/$dir/"
      : >"subprojects/$dir/empty.c"
    done
    # Debian 12 ships meson 1.0.1; the worker's build file needs nothing from 1.1.
    sed -i "s/meson_version: '>= 1.1.0'/meson_version: '>= 1.0.0'/" meson.build
    log "building mediasoup-worker $version (recipe $recipe_hash); this takes several minutes"
    meson setup --buildtype release -Db_ndebug=true --wrap-mode=nodownload build >"$work/setup.log" 2>&1 \
      || { cat "$work/setup.log" >&2; exit 1; }
    ninja -C build mediasoup-worker >"$work/ninja.log" 2>&1 || { tail -60 "$work/ninja.log" >&2; exit 1; }
    strip build/mediasoup-worker
    mkdir -p "$(dirname "$cached")"
    cp build/mediasoup-worker "$cached.tmp" && mv "$cached.tmp" "$cached"
  fi
fi

install_binary "$cached"
echo "$version-$recipe_hash" >"$stamp"
