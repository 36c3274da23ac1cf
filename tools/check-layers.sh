#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The layer rule of user/ (docs/ARCHITECTURE.md), checked on every
# #include "..." of every file there:
#
#   cli -> collector -> {probes, detect, output} -> base
#
# a layer includes its own headers and those of the layers below it, never
# one above or beside it (detect and output meet only in base; probes sees
# neither). Headers are named bare ("log.h"); the only other quoted
# includes allowed are bpf/mailbpf.h and, in probes/, the generated
# skeletons. The Makefile runs this before linking, and compiles each layer
# with only the include paths this table allows, so a violation fails `make`.
#
#   check-layers.sh [USERDIR]    (default user)
set -u
cd "$(dirname "$0")/.."
dir=${1:-user}

declare -A ALLOW=(
	[base]="base"
	[detect]="detect base"
	[output]="output base"
	[probes]="probes base"
	[collector]="collector probes detect output base"
	[cli]="cli collector probes detect output base"
)

# Which layer owns each header; file names are unique across layers (a
# bare include names one file, and the unit archive keeps basenames).
declare -A HOME_OF=()
for h in "$dir"/*/*.[ch]; do
	b=$(basename "$h")
	l=$(basename "$(dirname "$h")")
	if [ -n "${HOME_OF[$b]:-}" ]; then
		echo "check-layers: $b is in both $dir/${HOME_OF[$b]}/ and $dir/$l/" >&2
		bad=1
	fi
	HOME_OF[$b]=$l
done

bad=${bad:-0}
for f in "$dir"/*/*.[ch]; do
	layer=$(basename "$(dirname "$f")")
	allow=${ALLOW[$layer]:-}
	if [ -z "$allow" ]; then
		echo "$f: $dir/$layer/ is not a layer (base detect output probes collector cli)" >&2
		bad=1
		continue
	fi
	while IFS=: read -r line inc; do
		case "$inc" in
		../bpf/mailbpf.h | mailbpf.h) continue ;;
		*.skel.h)
			[ "$layer" = probes ] && continue
			echo "$f:$line: includes skeleton $inc: only probes/ loads BPF objects" >&2
			bad=1
			continue
			;;
		*/*)
			echo "$f:$line: includes \"$inc\": name user/ headers bare, the layer decides" >&2
			bad=1
			continue
			;;
		esac
		home=${HOME_OF[$inc]:-}
		if [ -z "$home" ]; then
			echo "$f:$line: includes \"$inc\", which no layer has" >&2
			bad=1
		elif [[ " $allow " != *" $home "* ]]; then
			echo "$f:$line: $layer/ includes $home/$inc: $layer may use only: $allow" >&2
			bad=1
		fi
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
		sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/')
done
exit "$bad"
