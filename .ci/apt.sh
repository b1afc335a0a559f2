#!/usr/bin/env bash
# apt-get, waiting for apt's and dpkg's locks: `.ci/apt.sh update`,
# `.ci/apt.sh install -y pkg…`. On a fresh machine another apt process
# (unattended upgrades, cloud-init) often holds the locks for a while, and
# apt-get then fails at once. dpkg's frontend lock is waited for by apt
# itself (DPkg::Lock::Timeout); the package lists' lock, which `update`
# takes, is not, so a run refused for a lock is retried until
# APT_LOCK_WAIT seconds (default 600) have passed. Any other failure is
# returned at once.
#
# APT_GET (default apt-get) and APT_LOCK_POLL (seconds between tries,
# default 5) exist for the test in internal/ci.
set -uo pipefail

apt_get=${APT_GET:-apt-get}
wait_max=${APT_LOCK_WAIT:-600}
poll=${APT_LOCK_POLL:-5}
start=$SECONDS
out=$(mktemp)
trap 'rm -f "$out"' EXIT

while :; do
	remaining=$((wait_max - (SECONDS - start)))
	[ "$remaining" -lt 0 ] && remaining=0
	status=0
	"$apt_get" -o "DPkg::Lock::Timeout=$remaining" "$@" >"$out" 2>&1 || status=$?
	cat "$out"
	if [ "$status" -eq 0 ]; then
		exit 0
	fi
	if ! grep -qiE 'could not (get|open) lock|unable to (acquire|lock)|is another process using it' "$out"; then
		exit "$status"
	fi
	if [ $((SECONDS - start)) -ge "$wait_max" ]; then
		echo "--- apt: still locked by another process after ${wait_max}s" >&2
		exit "$status"
	fi
	echo "--- apt: locked by another process; retrying in ${poll}s" >&2
	sleep "$poll"
done
