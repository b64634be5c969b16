#!/bin/sh
# Installs what vpcdraw needs from the operating system, only when it is missing:
# Graphviz's dot, a font with Hangul glyphs, fontconfig, Python's venv module, and a headless Chromium
# (for the test that shows the class gallery in a browser; it skips without one).
set -eu

need=""
command -v dot >/dev/null 2>&1 || need="$need graphviz"
command -v fc-list >/dev/null 2>&1 || need="$need fontconfig"
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=ko family 2>/dev/null)" ]; then
  need="$need fonts-nanum"
fi
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need="$need python3-venv"
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-headless-shell >/dev/null 2>&1 \
   && ! command -v chromium-browser >/dev/null 2>&1; then
  # Debian's headless-only build (bookworm and later): /usr/bin/chromium-headless-shell, no desktop dependencies.
  # Elsewhere apt may not know it; the gallery test then skips, so its absence does not stop the install.
  if command -v apt-cache >/dev/null 2>&1 && apt-cache show chromium-headless-shell >/dev/null 2>&1; then
    need="$need chromium-headless-shell"
  fi
fi

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
