# Sourced by setup.sh, start.sh and test.sh: puts a Node of the supported LTS line first on PATH. When the machine's
# node is older, the official Linux binary comes from the npm registry (node-linux-<arch>, the package npm's own
# `node` package installs from; npm checks it against the registry's sha512), unpacked once into the cache beside
# the mediasoup worker. npm itself stays the machine's (npm 11 runs on Node 20 and later).
circle_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
circle_node_version=$(cat "$circle_root/.node-version")
circle_node_major=${circle_node_version%%.*}
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt "$circle_node_major" ]; then
  case "$(uname -m)" in x86_64) circle_node_arch=x64 ;; aarch64) circle_node_arch=arm64 ;; *) circle_node_arch=$(uname -m) ;; esac
  circle_node_home="${CIRCLE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/circle}/node-v$circle_node_version-linux-$circle_node_arch"
  if [ ! -x "$circle_node_home/bin/node" ]; then
    printf '[setup] installing Node %s from the npm registry (node-linux-%s) into %s\n' \
      "$circle_node_version" "$circle_node_arch" "$circle_node_home" >&2
    circle_node_download=$(mktemp -d)
    (cd "$circle_node_download" && npm pack --silent --loglevel=error "node-linux-$circle_node_arch@$circle_node_version" >/dev/null)
    mkdir -p "$circle_node_home.tmp"
    tar xzf "$circle_node_download"/node-linux-*.tgz -C "$circle_node_home.tmp" --strip-components=1
    rm -rf "$circle_node_download" "$circle_node_home"
    mv "$circle_node_home.tmp" "$circle_node_home"
  fi
  export PATH="$circle_node_home/bin:$PATH"
fi
