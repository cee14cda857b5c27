#!/usr/bin/env bash
# Installs the pinned Deno (npm package "deno", exact version in tools/package.json) and caches
# the npm: dependencies of deno.lock. Needs only Node and npm. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_TLS_CA_STORE=system
[ -f /etc/ssl/certs/ca-certificates.crt ] && export NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
if ! tools/node_modules/.bin/deno --version >/dev/null 2>&1; then
  echo "pup setup: installing Deno into tools/node_modules (npm)..." >&2
  # npm ci cannot be used: deno@2.9.6's other-platform packages are missing from the registry here.
  # npm install rewrites the committed lock file; put it back, so a fresh clone stays clean.
  cp tools/package-lock.json tools/.package-lock.json.orig
  (cd tools && npm install --no-audit --no-fund --loglevel=error >&2) || {
    mv tools/.package-lock.json.orig tools/package-lock.json; exit 1; }
  mv tools/.package-lock.json.orig tools/package-lock.json
fi
# The npm packages are cached in Deno's cache (DENO_DIR, per user), not in this checkout: the
# marker names the cache it filled, so another user or HOME on the same checkout fills its own.
marker="tools/node_modules/.deps-cached-$(bash scripts/deno_dir.sh | cksum | cut -d' ' -f1)"
if [ ! -f "$marker" ] || [ deno.lock -nt "$marker" ]; then
  tools/node_modules/.bin/deno install --frozen >&2
  touch "$marker"
fi
