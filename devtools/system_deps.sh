#!/usr/bin/env bash
# OS packages from Debian's registry, installed only when missing: a CJK font for the
# PDFs, Chromium for the browser tests. The list is devtools/system-packages.txt.
set -euo pipefail
cd "$(dirname "$0")"
need=()
# extra lists as arguments: `make bench` adds system-packages-bench.txt (valgrind)
for pkg in $(cat system-packages.txt "$@" | grep -v '^#'); do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing system packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The PDFs' common-character font (chalicelib/fonts/, gitignored): cut from the Debian font
# once (~10 s); chalicelib/platform/fonts.py falls back to the full font without it.
PY="$(pwd)/../.venv/bin/python"; [ -x "$PY" ] || PY=python3
(cd .. && "$PY" -m devtools.build_font_subset) || echo "warning: common-character font not built; PDFs use the full font" >&2
# The prod app's route manifest (chalicelib/route_manifest.json, gitignored): see
# chalicelib/platform/routing.py. Any import of app.py rewrites a stale one as well.
(cd .. && "$PY" -m devtools.route_manifest >/dev/null) || echo "warning: route manifest not written; the prod app imports every route module at start" >&2
