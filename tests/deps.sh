#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages Bufferbane needs to build and test, if missing.
# As root: one `apt-get update`, then `apt-get install`.  Otherwise: prints the
# exact command to run and fails.
set -u
missing=()
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system; install the equivalents of: $*" >&2
	exit 0
fi
for p in "$@"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages. Run as root:" >&2
	echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/bufferbane-deps.log 2>&1 || {
	tail -20 /tmp/bufferbane-deps.log >&2
	echo "deps: apt-get install ${missing[*]} failed (log above)" >&2
	exit 1
}
