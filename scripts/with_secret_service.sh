#!/bin/sh
# Runs CMD inside a throwaway D-Bus session whose Secret Service is a fresh, unlocked
# gnome-keyring "login" collection, then tears both down (env-recipe.md §4).
#
#   scripts/with_secret_service.sh CMD [ARGS...]
#
# The keyring lives in a temp dir (HOME and XDG_DATA_HOME of the daemon only), so the user's
# real keyring is never touched; CMD keeps the caller's HOME (and Deno its cache). Exit code: CMD's.
set -eu
if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "$0: \"$tool\" was not found: apt-get install dbus gnome-keyring libsecret-tools" >&2
    exit 127
  }
done
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pup-secret-service.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
mkdir -p "$scratch/home" "$scratch/data"
# The inner shell starts the keyring on the session bus, then runs CMD; when CMD ends the bus
# ends and the daemon with it. The password only unlocks this throwaway collection.
dbus-run-session -- sh -c '
  scratch=$1; shift
  eval "$(printf %s pup-test-password |
    HOME="$scratch/home" XDG_DATA_HOME="$scratch/data" \
    gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
  export GNOME_KEYRING_CONTROL
  "$@"
' with-secret-service "$scratch" "$@"
