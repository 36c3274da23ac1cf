#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The filesystem tests in the VM on one Debian kernel:
#   tests/vm/fs.sh KERNEL_RELEASE      (tests/vm/run.sh list names them)
# Packs what tests/vm/fs-guest.sh needs and runs it through tests/vm/run.sh.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
kernel=${1:?usage: fs.sh KERNEL_RELEASE}
make -C "$root" -s mailbpf .output/faultfs || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -czf "$tmp/fs-tests.tar.gz" -C "$root" tests/integration tests/lib tools/xfs-fault.sh .output/faultfs
MAILBPF_VM_SRC=$root MAILBPF_VM_FILES="$tmp/fs-tests.tar.gz" \
	bash "${MAILBPF_VM_RUN:-$root/tests/vm/run.sh}" "$kernel" "$root/tests/vm/fs-guest.sh"
