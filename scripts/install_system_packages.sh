#!/usr/bin/env bash
# Debian packages the tests need: Chromium for browser tests, Noto fonts (Urdu),
# poppler (PDF to PNG), gettext (compiling translations). Installs only what is missing.
set -euo pipefail
needed=()
command -v chromium >/dev/null || needed+=(chromium)
[ -f /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || needed+=(fonts-noto-core)
command -v pdftoppm >/dev/null || needed+=(poppler-utils)
command -v msgfmt >/dev/null || needed+=(gettext)
if [ ${#needed[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${needed[*]} (run this script as root)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}"
fi
echo "system packages: ok"
