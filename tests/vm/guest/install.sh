#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Inside the VM: install mailbpf from the io disk as an admin would, the
# Debian package if run.sh put one there (apt-get, offline: its
# dependencies are in the image), else the `make install` tree laid over /.
# Run by the guest runner before the guest script, or by the guest script
# itself when it asked for that (MAILBPF_VM_INSTALL_BY_SCRIPT=1 in run.sh).
set -u
io=$(dirname "$(readlink -f "$0")")
if ls "$io"/install/*.deb >/dev/null 2>&1; then
	echo "installing $(ls "$io"/install/*.deb)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$io"/install/*.deb
elif [ -d "$io/install/root" ]; then
	echo "installing the make install tree"
	# tar, not cp -a: /lib is a symlink to usr/lib on Debian 12.
	tar -C "$io/install/root" -c . | tar -C / -x --keep-directory-symlink --no-same-owner &&
		systemctl daemon-reload
else
	echo "nothing to install" >&2
	exit 1
fi
