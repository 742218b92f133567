#!/usr/bin/env bash
# Make sure the browser tests have a Chromium: Debian's package where we may install it (root with
# apt), else Playwright's own download. Prints the executable the tests will use.
set -euo pipefail
if [ -n "${FLOWSCOPE_CHROMIUM:-}" ] && [ -x "$FLOWSCOPE_CHROMIUM" ]; then exit 0; fi
for c in /usr/bin/chromium /usr/bin/chromium-browser; do
  [ -x "$c" ] && exit 0
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing Chromium from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
  exit 0
fi
echo "setup: no system Chromium; downloading Playwright's"
.venv/bin/python -m playwright install chromium
