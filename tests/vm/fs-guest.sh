#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Guest script for tests/vm/run.sh: the filesystem family on a Debian
# kernel (6.1: XFS AG health as xfs_ag_mark_*, ext4 and XFS as modules,
# errors=remount-ro setting the superblock read-only). Needs
# MAILBPF_VM_FILES=fs-tests.tar.gz (tests/integration, tools/xfs-fault.sh,
# .output/faultfs), see tests/vm/fs.sh.
set -u
mkdir -p /tmp/mb && tar -xzf fs-tests.tar.gz -C /tmp/mb || exit 1
cd /tmp/mb || exit 1
export MAILBPF=/usr/sbin/mailbpf FAULTFS=/tmp/mb/.output/faultfs
modprobe xfs
modprobe ext4
echo "# kernel $(uname -r)"
"$MAILBPF" check >check.out 2>&1
sed 's/^/# check: /' check.out
if grep -qi libbpf check.out; then
	echo "not ok - vm: check prints no libbpf line"
else
	echo "ok - vm: check prints no libbpf line"
fi
# A tracepoint this kernel does not have is left out with a WARN (6.1 has no
# xfs_*_mark_corrupt); none may be refused by the verifier.
if grep -q 'left out: does not' check.out; then
	echo "not ok - vm: no fs program refused on $(uname -r)"
else
	echo "ok - vm: no fs program refused on $(uname -r)"
fi
if grep -q 'xfs_group_mark_sick left out' check.out; then
	echo "not ok - vm: XFS AG health probed (xfs_ag_mark_sick before 6.13)"
else
	echo "ok - vm: XFS AG health probed (xfs_ag_mark_sick before 6.13)"
fi
for p in xfs block ext4; do
	if grep -q "^OK    probe $p: attached" check.out; then
		echo "ok - vm: probe $p attached"
	else
		echo "not ok - vm: probe $p attached"
	fi
done
for t in test_ext4 test_block_notsupp test_fs test_missing_tp; do
	timeout -k 10 600 bash "tests/integration/$t.sh" 2>&1
done
