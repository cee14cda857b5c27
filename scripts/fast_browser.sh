#!/bin/sh
# $BROWSER stand-in that needs no browser: runs scripts/fast_browser.ts, which follows the
# authorize URL's redirects with fetch (loopback only) and approves a consent form, so the mock
# Datadog's answer lands on pup's callback. Used by scripts/demo when Chromium is absent and by
# the bench to time a login without the browser step. Exit code: fast_browser.ts's.
set -u
if [ "$#" -ne 1 ]; then
  echo "usage: $0 URL" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")/.." && pwd)
deno="$here/tools/node_modules/.bin/deno"
[ -x "$deno" ] || deno=deno
exec "$deno" run --quiet --no-prompt --no-config --allow-net=127.0.0.1,localhost \
  "$here/scripts/fast_browser.ts" "$1"
