#!/bin/sh
# Installs what vpcdraw needs from the operating system, only when it is missing:
# Graphviz's dot, a font with Hangul glyphs, fontconfig, and Python's venv module.
set -eu

need=""
command -v dot >/dev/null 2>&1 || need="$need graphviz"
command -v fc-list >/dev/null 2>&1 || need="$need fontconfig"
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=ko family 2>/dev/null)" ]; then
  need="$need fonts-nanum"
fi
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need="$need python3-venv"

[ -z "$need" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "vpcdraw needs:$need (Graphviz's dot, a Korean font, Python's venv); this machine has no apt-get, so install them with its package manager and run make again." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "vpcdraw needs:$need; run as root or install sudo, then run make again." >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing with apt-get:$need"
log=$(mktemp)
# shellcheck disable=SC2086
if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q \
       && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "apt-get could not install:$need (its last lines are above); install them and run make again." >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
