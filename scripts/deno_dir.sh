#!/usr/bin/env bash
# Prints the Deno cache directory this user's deno uses (DENO_DIR, else the platform default),
# without starting deno: scripts/setup.sh and scripts/pup key their "npm packages cached" marker
# on it, so a second user or a new HOME on the same checkout fills its own cache.
if [ -n "${DENO_DIR:-}" ]; then printf %s "$DENO_DIR"
elif [ "$(uname -s)" = Darwin ]; then printf %s "$HOME/Library/Caches/deno"
else printf %s "${XDG_CACHE_HOME:-$HOME/.cache}/deno"
fi
