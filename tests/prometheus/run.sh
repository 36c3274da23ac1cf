#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Validate the Prometheus alerting rules and run their unit tests:
#   promtool check rules deploy/prometheus/mailbpf.rules.yml
#   promtool test rules tests/prometheus/*.yml
# Prints "prometheus: N passed, M failed" (N, M = promtool invocations) last
# and exits 1 if any failed. PROMTOOL=/path/to/promtool overrides the binary.
set -u

cd "$(dirname "$0")/../.." || exit 1
promtool=${PROMTOOL:-promtool}
passed=0
failed=0

run() {
	echo "+ $promtool $*"
	if "$promtool" "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
}

if ! command -v "$promtool" >/dev/null 2>&1; then
	echo "prometheus: $promtool not found (Debian package: prometheus)" >&2
	echo "prometheus: 0 passed, 2 failed"
	exit 1
fi

run check rules deploy/prometheus/mailbpf.rules.yml
run test rules tests/prometheus/*.yml

echo "prometheus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
