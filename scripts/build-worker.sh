#!/usr/bin/env bash
# Provides the mediasoup C++ worker without GitHub or PyPI: builds it from the mediasoup npm package against
# Debian's own libraries, caches the binary outside the checkout (keyed by mediasoup version and this recipe),
# and installs it where mediasoup looks by default, so nothing at run time needs MEDIASOUP_WORKER_BIN.
#
# Order of preference: MEDIASOUP_WORKER_BIN if it names an executable; a worker already installed in
# node_modules; the cached build for this key; a fresh build (about 12 minutes on 2 cores, the Debian sources included).
#
# The worker's libraries, and where each comes from (scripts/worker-shims wraps each as the meson subproject the
# worker expects, so nothing is downloaded from GitHub or mesonbuild's wrap database):
#   OpenSSL, libsrtp 2 (through srtp-compat.h), usrsctp, abseil: Debian 12's -dev packages (setup.sh installs them);
#   FlatBuffers, libuv, liburing: newer Debian source packages, built here (debian_sources below); the README's
#   "The mediasoup worker" says why each, and which mediasoup versions stop where.
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

patches="$root/scripts/worker-patches"
recipe_hash=$(cat "$0" $(find "$shims" "$patches" -type f | sort) | sha256sum | cut -c1-12)
cache_root=${CIRCLE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/circle}
cached="$cache_root/mediasoup-worker-$version-$recipe_hash/mediasoup-worker"
stamp="$pkg/worker/out/Release/.circle-recipe"

if [ -x "$installed" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version-$recipe_hash" ]; then
  log "worker already installed ($version-$recipe_hash)"
  exit 0
fi

# Libraries the worker needs newer than Debian 12 has, built from a newer Debian release's source package (the
# .orig tarball from Debian's archive, checked against the SHA-256 its .dsc gives) into the cache, once per version.
# Each line: name, version, archive path, SHA-256. The shim of the same name points the worker at the build.
debian_sources=(
  "flatbuffers 23.5.26 f/flatbuffers/flatbuffers_23.5.26+dfsg.orig.tar.xz 0d309fd2c47bbbebd450e68d1419c336d53d1b8f5ce47e1f1f7f28f452fc6f3b"
  "libuv 1.50.0 libu/libuv1/libuv1_1.50.0.orig.tar.gz ec9de6ecf2a780fd2afb3b007947d2cd57c3bb17f3b9e721a66774980d35cd4d"
  "liburing 2.9 libu/liburing/liburing_2.9.orig.tar.gz 57e9b36e4ac1e46b8e0351dfb1694dc59638fc25e384b4ba36d87b800b16db1a"
)

# Unpacks one of debian_sources into "$2" and installs it (headers, static library, tools) under "$3".
compile_debian_source() {
  local name=$1 source=$2 prefix=$3
  case "$name" in
    flatbuffers)
      cmake -S "$source" -B "$source/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLATBUFFERS_BUILD_TESTS=OFF \
        -DFLATBUFFERS_BUILD_FLATHASH=OFF -DCMAKE_INSTALL_PREFIX="$prefix" && ninja -C "$source/build" install ;;
    libuv)
      cmake -S "$source" -B "$source/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIBUV_BUILD_SHARED=OFF \
        -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DCMAKE_INSTALL_PREFIX="$prefix" && ninja -C "$source/build" install ;;
    liburing)
      (cd "$source" && ./configure --prefix="$prefix" && make -C src -j"$(nproc)" && make install) ;;
  esac
}

# Builds whatever of debian_sources is not cached yet; called with the build lock held.
build_debian_sources() {
  local entry name version path sha256 home scratch
  for entry in "${debian_sources[@]}"; do
    read -r name version path sha256 <<<"$entry"
    home="$cache_root/$name-$version"
    [ -f "$home/.built" ] && continue
    log "building $name $version from Debian's source package"
    scratch=$(mktemp -d)
    curl -fsSL -o "$scratch/orig" "http://deb.debian.org/debian/pool/main/$path"
    echo "$sha256  $scratch/orig" | sha256sum -c --quiet
    mkdir "$scratch/source"
    tar xf "$scratch/orig" -C "$scratch/source" --strip-components=1
    rm -rf "$home"
    compile_debian_source "$name" "$scratch/source" "$home" >"$scratch/build.log" 2>&1 \
      || { tail -40 "$scratch/build.log" >&2; exit 1; }
    touch "$home/.built"
    rm -rf "$scratch"
  done
}

if [ ! -x "$cached" ]; then
  mkdir -p "$cache_root"
  exec 9>"$cache_root/.build.lock"
  flock 9
  if [ ! -x "$cached" ]; then
    build_debian_sources
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
    for entry in "${debian_sources[@]}"; do
      read -r library library_version _ <<<"$entry"
      dir=$(sed -n 's/^directory *= *//p' "subprojects/$library.wrap")
      cp -r "$cache_root/$library-$library_version" "subprojects/$dir/install"
    done
    # Fixes to the worker, each explained in its file.
    for fix in "$patches"/*.patch; do patch -p1 --forward --quiet <"$fix"; done
    # Debian 12 ships meson 1.0.1; the worker's build file needs nothing from 1.1.
    sed -i "s/meson_version: '>= 1.1.0'/meson_version: '>= 1.0.0'/" meson.build
    log "building mediasoup-worker $version (recipe $recipe_hash); this takes several minutes"
    meson setup --buildtype release -Db_ndebug=true --wrap-mode=nodownload build >"$work/setup.log" 2>&1 \
      || { cat "$work/setup.log" >&2; exit 1; }
    # The generated FlatBuffers headers first: the worker's build file does not order its sources after them.
    { ninja -C build fbs/FBS && ninja -C build mediasoup-worker; } >"$work/ninja.log" 2>&1 \
      || { tail -60 "$work/ninja.log" >&2; exit 1; }
    # Not stripped: perf names the worker's own functions (load/ramp.ts --profile), for 1.2 MB more.
    mkdir -p "$(dirname "$cached")"
    cp build/mediasoup-worker "$cached.tmp" && mv "$cached.tmp" "$cached"
  fi
fi

install_binary "$cached"
echo "$version-$recipe_hash" >"$stamp"
