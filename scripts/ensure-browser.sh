#!/usr/bin/env bash
# Makes sure the console's browser test (tests/e2e/console.test.ts) has a Chromium before any test
# starts: playwright-core drives one but brings none. Run by `npm test` and `npm run test:e2e`
# (their pre-scripts) and by .ci/run.
#
# The browser is CHROMIUM_PATH, else Debian's /usr/bin/chromium. When Debian's is missing and this
# user may install packages (root, or passwordless sudo, with apt-get), it is installed; otherwise
# (or when CHROMIUM_PATH names a missing file) the script says in one sentence what to install and
# exits 1.
# CHROMIUM_NO_INSTALL=1 forbids installing (to check that sentence on a machine that could install).
set -euo pipefail

browser=${CHROMIUM_PATH:-/usr/bin/chromium}
[[ -x $browser ]] && exit 0

what_to_install() {
  echo "The console's browser test needs Chromium at $browser: install Debian's chromium (sudo apt-get install chromium), or set CHROMIUM_PATH to a Chromium or Chrome executable, then run the tests again." >&2
  exit 1
}

# Installing puts Debian's chromium at /usr/bin/chromium: no help for a CHROMIUM_PATH elsewhere.
[[ -n ${CHROMIUM_PATH:-} || ${CHROMIUM_NO_INSTALL:-} == 1 ]] && what_to_install
command -v apt-get >/dev/null || what_to_install
if [[ $EUID -eq 0 ]]; then
  as_root=''
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=sudo
else
  what_to_install
fi

echo "==> Installing Debian's chromium for the console's browser test (apt-get; a few minutes)" >&2
log=$(mktemp)
# Another apt-get (another checkout's tests, say) may hold the package lock: wait for it.
if ! { $as_root apt-get update -qq &&
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 chromium; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  what_to_install
fi
rm -f "$log"
[[ -x $browser ]] || what_to_install
