#!/usr/bin/env bash
# Renders the phone bridge's spoken prompts (assets/prompts/*.ulaw: 8 kHz mono G.711 mu-law, raw) with Debian's
# espeak-ng and sox. The rendered files are committed, so the server needs neither at run time; run this after
# changing a prompt's words in src/phone/prompt-texts.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/assets/prompts"
mkdir -p "$out"
for tool in espeak-ng sox node; do command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install espeak-ng sox)" >&2; exit 1; }; done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node -e 'for (const [name, text] of Object.entries(require(process.argv[1]))) console.log(`${name}\t${text}`)' \
  "$root/src/phone/prompt-texts.json" |
while IFS=$'\t' read -r name text; do
  espeak-ng -v en-us -s 150 -w "$tmp/$name.wav" "$text"
  # A little quieter than full scale, so prompts sit at a speaking level on the line.
  sox "$tmp/$name.wav" -r 8000 -c 1 -e mu-law -t raw "$out/$name.ulaw" gain -n -6
done
ls "$out"
