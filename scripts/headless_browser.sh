#!/bin/sh
# $BROWSER stand-in for end-to-end tests: loads the URL in $1 in headless Chromium, which runs
# page scripts and follows redirects (the OAuth loopback redirect included), then exits with
# Chromium's status. A fresh profile per run keeps runs independent; it is removed afterwards.
# `timeout 60` bounds a run that would otherwise hang (exit 124 when it fires).
set -u
if [ "$#" -ne 1 ]; then
  echo "usage: $0 URL" >&2
  exit 2
fi
profile=$(mktemp -d "${TMPDIR:-/tmp}/pup-chromium.XXXXXX") || exit 1
trap 'rm -rf "$profile"' EXIT
# Chromium runs in the background so a signal to this script reaches it (through timeout, which
# forwards TERM) instead of leaving it orphaned with its profile still in use.
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --dump-dom "$1" >/dev/null 2>&1 &
child=$!
stop() {
  kill -TERM "$child" 2>/dev/null
  wait "$child"
  exit "$1"
}
trap 'stop 129' HUP
trap 'stop 130' INT
trap 'stop 143' TERM
wait "$child"
exit $?
