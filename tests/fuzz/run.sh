#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The fuzzers behind `make fuzz`: each tests/fuzz/fuzz_*.c is a libFuzzer
# target built with ASan and UBSan against the pure modules of user/ (the
# ones the unit tests link: no BPF, no main), then run for FUZZ_SECONDS
# (default 60) from its seed corpus in tests/fuzz/corpus/NAME/.
# What the fuzzer finds on the way goes to .output/fuzz/corpus/NAME/, never
# into the committed seeds; a crash, leak or undefined behaviour (UBSan is
# made fatal) is saved as tests/fuzz/crashes/NAME-crash-<sha1>, which is
# gitignored. Reproduce one with
#   .output/fuzz/fuzz_NAME tests/fuzz/crashes/NAME-crash-...
# FUZZ_TARGETS="config" limits the run to some targets.
# Ends with one line: "fuzz: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
SECONDS_PER=${FUZZ_SECONDS:-60}
OUT=.output/fuzz
CRASHES=tests/fuzz/crashes
CLANG=${CLANG:-clang}
# The pure modules of user/ and its layers' include paths, as the Makefile
# has them (the unit tests' archive: no BPF, no main).
PURE=($(make -s --no-print-directory print-PURE_SRCS))
INC=($(make -s --no-print-directory print-USER_INC))
CFLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
	-I. "${INC[@]}" -Ibpf -D_GNU_SOURCE -DMAILBPF_VERSION='"fuzz"')
# Per-target input bound: a config line may be up to 1024 bytes (longer is
# an error path worth reaching); a record is at most 464.
declare -A MAXLEN=([config]=4096 [event]=1024 [http]=6144)

passed=0
failed=0
mkdir -p "$OUT" "$CRASHES"
# UBSan only prints by default; a finding must fail the run.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# Seeds for the event target are binary records; rebuild them if missing.
if ! ls tests/fuzz/corpus/event/* >/dev/null 2>&1; then
	mkdir -p tests/fuzz/corpus/event
	cc -std=gnu11 -Wall -Werror -Ibpf tests/fuzz/mkcorpus.c -o "$OUT/mkcorpus" &&
		"$OUT/mkcorpus" tests/fuzz/corpus/event
fi

for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $name "* ]]; then
		continue
	fi
	bin=$OUT/fuzz_$name
	echo "== fuzz_$name: build"
	if ! "$CLANG" "${CFLAGS[@]}" "$src" "${PURE[@]}" -lm -o "$bin"; then
		echo "not ok - fuzz_$name: does not build"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$OUT/corpus/$name"
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	echo "== fuzz_$name: ${SECONDS_PER}s"
	# The first corpus directory receives new inputs: the scratch one.
	"$bin" -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 \
		-max_len="${MAXLEN[$name]:-4096}" -print_final_stats=1 \
		-artifact_prefix="$CRASHES/$name-" "${dict[@]}" \
		"$OUT/corpus/$name" "tests/fuzz/corpus/$name" >"$OUT/fuzz_$name.log" 2>&1
	rc=$?
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' \
		"$OUT/fuzz_$name.log" | sed 's/^/# /'
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz_$name: no crash in ${SECONDS_PER}s"
		passed=$((passed + 1))
	else
		echo "not ok - fuzz_$name: exit $rc, see $OUT/fuzz_$name.log"
		grep -E -m1 -A12 'ERROR: |runtime error|invariant failed|fuzz_event: ' \
			"$OUT/fuzz_$name.log" | sed 's/^/#   /'
		ls -1 "$CRASHES/$name-"* 2>/dev/null | sed 's/^/#   reproducer: /'
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
