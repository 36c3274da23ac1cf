# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# mailbpf: clang -target bpf (CO-RE) -> bpftool gen skeleton -> userspace.
OUTPUT := .output
CLANG ?= clang
CC ?= cc
BPFTOOL ?= bpftool
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# x86-64 only: the BPF side reads syscall arguments from x86's pt_regs and
# knows x86-64 syscall numbers, and user/base/names.c the x86-64 signals.
ARCH := $(shell uname -m | sed 's/x86_64/x86/')
ifneq ($(ARCH),x86)
ifeq ($(filter clean format print-%,$(MAKECMDGOALS)),)
$(error mailbpf builds for x86-64 only, this is $(ARCH): syscall numbers, pt_regs and signal numbers are x86-64's)
endif
endif
PREFIX ?= /usr
DESTDIR ?=

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
# Every object is built twice: for BPF ISA v3 (alu32, jmp32, atomics with
# fetch: kernels from 5.12) and v2 (older ones). The skeleton is generated
# from the v3 object; the v2 one contributes only its ELF bytes, so both
# must have the same maps, programs and globals (checked: .skel-same).
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS)) \
	$(patsubst bpf/%.bpf.c,$(OUTPUT)/%.v2.skel.h,$(BPF_SRCS)) $(OUTPUT)/.skel-same

# user/ is layered, one folder per layer (docs/ARCHITECTURE.md):
#   cli -> collector -> {probes, detect, output} -> base
# A layer is compiled with the include paths of itself and the layers below
# it only, and tools/check-layers.sh checks every quoted include before
# anything is compiled: an upward or sideways include fails the build.
LAYERS := base detect output probes collector cli
LAYER_base := base
LAYER_detect := detect base
LAYER_output := output base
LAYER_probes := probes base
LAYER_collector := collector probes detect output base
LAYER_cli := cli collector probes detect output base
layer_inc = $(addprefix -Iuser/,$(LAYER_$(firstword $(subst /, ,$(1)))))
USER_SRCS := $(wildcard $(addsuffix /*.c,$(addprefix user/,$(LAYERS))))
USER_HDRS := $(wildcard user/*/*.h)
# Tests, fuzzers and tools see every layer.
USER_INC := $(addprefix -Iuser/,$(LAYERS))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))

# The unit tests' archive: the folders with no kernel, no main() and no
# sockets (base, detect, output less the listener and the Alertmanager
# client), rebuilt with ASan/UBSan. collector/spool.c (path logic) and
# collector/delta.c (counter deltas) are pure too: test_spool, test_delta.
PURE_DIRS := base detect output
NET_SRCS := user/output/httpd.c user/output/push.c
PURE_SRCS := $(filter-out $(NET_SRCS),$(wildcard $(addsuffix /*.c,$(addprefix user/,$(PURE_DIRS))))) \
	user/collector/spool.c user/collector/delta.c
PURE_ASAN_OBJS := $(patsubst user/%.c,$(OUTPUT)/asan/%.o,$(PURE_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -D_GNU_SOURCE -DMAILBPF_VERSION='"$(VERSION)"' \
	-I$(OUTPUT) -Ibpf
# libbpf is linked statically (libbpf.a from libbpf-dev), as Debian's
# libbpf-tools does: the binary then needs only libc, libelf and zlib at run
# time and runs on any Debian 12+ whatever libbpf1 the host has.
LIBBPF_LDLIBS ?= -l:libbpf.a
LDLIBS := $(LIBBPF_LDLIBS) -lelf -lz -lm
ASAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf -Wall -Werror

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all deps clean test unit integration prometheus run bench fuzz install vmlinux format deb \
	test-vm support-matrix
.DELETE_ON_ERROR:
.SECONDARY:

all: mailbpf

# Missing Debian packages are installed (as root) or named, per purpose:
# the build set for `make`/`make run`, the test set added for `make test`,
# packaging tools for `make deb`. Never a package that would remove or
# replace an installed one (see tools/install-deps.sh). Cheap when all are
# present. MAILBPF_NO_DEPS=1 skips it (debian/rules: Build-Depends apply).
DEPS_SETS := build test deb bench
deps: $(OUTPUT)/.deps-build
$(addprefix $(OUTPUT)/.deps-,$(DEPS_SETS)): $(OUTPUT)/.deps-%: tools/install-deps.sh | $(OUTPUT)
	$(call msg,DEPS,$*)
	$(Q)$(if $(filter 1,$(MAILBPF_NO_DEPS)),true,bash tools/install-deps.sh $*)
	$(Q)touch $@
# The other sets include the build set: one apt run at a time under make -j.
$(addprefix $(OUTPUT)/.deps-,$(filter-out build,$(DEPS_SETS))): $(OUTPUT)/.deps-build

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/asan $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/%.v2.bpf.o: bpf/%.bpf.c bpf/mailbpf.h $(wildcard bpf/*.bpf.h) vmlinux/vmlinux.h $(OUTPUT)/.deps-build
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -mcpu=v2 -DMB_BPF_ISA=2 -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c bpf/mailbpf.h $(wildcard bpf/*.bpf.h) vmlinux/vmlinux.h $(OUTPUT)/.deps-build
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -mcpu=v3 -DMB_BPF_ISA=3 -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUTPUT)/%.v2.skel.h: $(OUTPUT)/%.v2.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_v2_bpf > $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# The v2 ELF is opened through the v3 skeleton: same layout or no build.
$(OUTPUT)/.skel-same: tools/skel-same.sh $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS)) \
		$(patsubst bpf/%.bpf.c,$(OUTPUT)/%.v2.skel.h,$(BPF_SRCS))
	$(call msg,CHECK,skeleton layouts v2 = v3)
	$(Q)bash tools/skel-same.sh $(patsubst bpf/%.bpf.c,%,$(BPF_SRCS)) && touch $@

# The layer rule, before any user/ object is compiled.
$(OUTPUT)/.layers: tools/check-layers.sh $(USER_SRCS) $(USER_HDRS) | $(OUTPUT)
	$(call msg,CHECK,user/ layers)
	$(Q)bash tools/check-layers.sh && touch $@

# Header dependencies are generated (-MMD): the .d files beside the objects.
DEPFLAGS = -MMD -MP
$(OUTPUT)/user/%.o: user/%.c | $(SKELS) $(OUTPUT)/.layers $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(call layer_inc,$*) $(DEPFLAGS) -c $< -o $@

mailbpf: $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Unit tests: pure modules rebuilt with ASan/UBSan.
$(OUTPUT)/asan/%.o: user/%.c $(OUTPUT)/.deps-test | $(OUTPUT)/.layers $(OUTPUT)/asan
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(ASAN) $(call layer_inc,$*) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/libpure-asan.a: $(PURE_ASAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/tests/%: tests/unit/%.c $(OUTPUT)/libpure-asan.a | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)mkdir -p $(OUTPUT)/tests.d
	$(Q)$(CC) $(CFLAGS) $(USER_INC) $(ASAN) $(DEPFLAGS) -MF $(OUTPUT)/tests.d/$*.d \
		$< $(OUTPUT)/libpure-asan.a -lcmocka -lm -o $@

$(OUTPUT)/faultfs: tools/faultfs.c $(OUTPUT)/.deps-test
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $$(pkg-config --cflags --libs fuse3) -o $@

# RestrictAddressFamilies=AF_UNIX without systemd, for test_unit_net.
$(OUTPUT)/afunix: tools/afunix.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUTPUT)/mbload: tools/mbload.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

# The bench's empty programs on the same tracepoints (the hooks' own cost).
$(OUTPUT)/mbfloor.bpf.o: tools/mbfloor.bpf.c vmlinux/vmlinux.h $(OUTPUT)/.deps-build
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUTPUT)/mbfloor: tools/mbfloor.c $(OUTPUT)/mbfloor.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

unit: $(UNIT_BINS)

test: $(OUTPUT)/.deps-test mailbpf $(UNIT_BINS) $(OUTPUT)/faultfs $(OUTPUT)/afunix
	$(Q)bash tests/run.sh

# The kernels Debian ships (5.10 to 7.x; MAILBPF_VM_SUITES picks) under qemu
# with systemd (tests/vm/test_vm.sh); cached downloads and image in
# /var/cache/mailbpf-test/vm.
test-vm: $(OUTPUT)/.deps-test mailbpf $(OUTPUT)/faultfs
	$(Q)bash tests/vm/test_vm.sh

# docs/SUPPORT.md from the last `make test-vm` results in .output/vm.
support-matrix:
	$(Q)bash tests/vm/support.sh $(OUTPUT)/vm > docs/SUPPORT.md.tmp && mv docs/SUPPORT.md.tmp docs/SUPPORT.md

# The textfile goes where Debian's prometheus-node-exporter reads it, or to
# .output/run/ on a box without node_exporter (make installs the build set
# only), so `make run` works on any machine.
NODE_EXPORTER_DIR := /var/lib/prometheus/node-exporter
run: mailbpf
	$(Q)if [ -d $(NODE_EXPORTER_DIR) ]; then tf=$(NODE_EXPORTER_DIR)/mailbpf.prom; else \
		mkdir -p $(OUTPUT)/run && tf=$(OUTPUT)/run/mailbpf.prom; \
		echo "run: no $(NODE_EXPORTER_DIR) (prometheus-node-exporter), textfile $$tf"; fi; \
	exec ./mailbpf run --alert-log - --textfile $$tf

# mailbpf_<version>_<arch>.deb and its .buildinfo/.changes in $(DEB_DIR),
# built from a copy of the tree so nothing lands beside the source.
DEB_DIR ?= $(OUTPUT)/deb
deb: $(OUTPUT)/.deps-deb
	$(Q)bash tools/build-deb.sh $(DEB_DIR)

# libFuzzer targets (config parser, event decoder), bounded by FUZZ_SECONDS.
fuzz:
	$(Q)bash tests/fuzz/run.sh

# For scripts (tests/fuzz/run.sh): make -s print-PURE_SRCS
print-%:
	@echo $($*)

bench: $(OUTPUT)/.deps-bench mailbpf $(OUTPUT)/mbload $(OUTPUT)/mbfloor
	$(Q)bash tools/bench.sh

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

format:
	clang-format -i bpf/*.c bpf/*.h user/*/*.c user/*/*.h tests/unit/*.c tools/*.c

install: mailbpf
	install -D -m 0755 mailbpf $(DESTDIR)$(PREFIX)/sbin/mailbpf
	install -D -m 0644 docs/mailbpf.8 $(DESTDIR)$(PREFIX)/share/man/man8/mailbpf.8
	install -D -m 0644 deploy/systemd/mailbpf.service $(DESTDIR)/lib/systemd/system/mailbpf.service
	install -D -m 0644 deploy/systemd/network.conf $(DESTDIR)$(PREFIX)/share/mailbpf/systemd/network.conf
	install -D -m 0644 deploy/prometheus/mailbpf.rules.yml \
		$(DESTDIR)$(PREFIX)/share/mailbpf/prometheus/mailbpf.rules.yml
	install -D -m 0644 deploy/grafana/mailbpf.json $(DESTDIR)$(PREFIX)/share/mailbpf/grafana/mailbpf.json
	install -D -m 0644 deploy/logrotate/mailbpf $(DESTDIR)/etc/logrotate.d/mailbpf
	test -e $(DESTDIR)/etc/mailbpf/mailbpf.conf || \
		install -D -m 0644 deploy/mailbpf.conf.example $(DESTDIR)/etc/mailbpf/mailbpf.conf

clean:
	rm -rf $(OUTPUT) mailbpf

-include $(USER_OBJS:.o=.d) $(PURE_ASAN_OBJS:.o=.d) \
	$(patsubst $(OUTPUT)/tests/%,$(OUTPUT)/tests.d/%.d,$(UNIT_BINS))
