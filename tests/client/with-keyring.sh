#!/bin/sh
# Runs a test inside the D-Bus session of dbus-run-session with an unlocked gnome-keyring
# serving the Secret Service, in a throwaway home so no real keyring is touched.
set -eu
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_RUNTIME_DIR="$home/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# The password creates and unlocks the login keyring (an empty one would prompt).
eval "$(printf 'confab-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
