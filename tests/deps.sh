#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages Bufferbane needs to build and test, if missing
# (usage: deps.sh PACKAGE...).  Silent when all are installed.  Otherwise one
# line names the missing packages before anything is installed; as root it
# then runs `apt-get update` and `apt-get install` (their output goes to a
# log, shown only if they fail); as another user it prints the command to run
# and fails.
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
	echo "deps: missing Debian packages: ${missing[*]}; run as root:" >&2
	echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${#missing[@]} missing Debian package(s) with apt-get: ${missing[*]}"
log=$(mktemp /tmp/bufferbane-deps.XXXXXX) || exit 1
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >"$log" 2>&1; then
	tail -20 "$log" >&2
	echo "deps: apt-get update failed (log above, kept in $log)" >&2
	exit 1
fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
	tail -20 "$log" >&2
	echo "deps: apt-get install ${missing[*]} failed (log above, kept in $log)" >&2
	exit 1
fi
rm -f "$log"
