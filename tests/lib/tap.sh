# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# TAP-style results for a shell test suite: `ok`/`not_ok` (or `check`) for
# each test, `finish` at the end, `skip_all REASON` when the suite cannot run
# here. tests/run.sh counts the lines:
#   ok - NAME: WHAT          a test passed
#   not ok - NAME: WHAT      a test failed (details follow as "#   " lines)
#   skip - NAME: REASON      the whole suite skipped (counted and named)
# NAME is the suite's file name without .sh.
# (tests/vm/guest/test_mailhost.sh has its own copy of ok/not_ok/check: it
# runs inside the VM image, where this file is not installed.)
NAME=$(basename "$0" .sh)
_passed=0
_failed=0

ok() {
	_passed=$((_passed + 1))
	echo "ok - $NAME: $1"
}

not_ok() {
	_failed=$((_failed + 1))
	echo "not ok - $NAME: $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what" "failed: $*"; fi
}

finish() {
	echo "# $NAME: $_passed passed, $_failed failed"
	[ "$_failed" -eq 0 ]
	exit
}

# skip_all REASON: the suite cannot run here; exits 0. The "# NAME: skipped:"
# line is for people (and test_fresh_build), the "skip -" one for tests/run.sh.
skip_all() {
	echo "# $NAME: skipped: $1"
	echo "skip - $NAME: $1"
	exit 0
}
