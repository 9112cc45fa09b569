# mpool: top-level targets.  Every target installs what it needs first
# (scripts/setup.sh is idempotent and quick when nothing is missing).
#
#   make test          static checks, host tests, guest suites, harness self-tests
#   make demo          boot the VM, load the module, drive the CLI
#   make test-debug    the guest suites under the KASAN/lockdep/kmemleak kernel
#   make debug-kernel  build (or reuse) that kernel
#   make bench         mblock/mlog figures as ratios to raw O_DIRECT
#   make crash-full    the full power-cut sweep (dm-log-writes); CI runs a bounded one
#   make fuzz          the ioctl fuzzer for 1,000,000 calls; make test runs 200,000
#   make build         module + userland
#   make codegen       regenerate userland/src/gen/ from uapi/*.h and <errno.h>
#   make checkpatch    checkpatch.pl --strict on kmod/ and uapi/
#   make dkms          register, build and install the module with DKMS (root;
#                      KVER="v1 v2" for other kernels than the running one)
#   make dkms-remove   undo make dkms
#   make deb           build/deb/mpool-dkms_<version>_all.deb
#   make pack          build/npm/mpool-<version>.tgz (npm pack)

SHELL := /bin/bash
NODE_BIN := node_modules/.bin

# KERNEL=6.12 builds and tests for that series instead of the default 6.1
# (scripts/kver.sh picks its newest installed version).
ifdef KERNEL
export MPOOL_KERNEL := $(KERNEL)
endif

.PHONY: all setup build module userland codegen codegen-check checkpatch test test-host test-guest test-debug demo bench debug-kernel clean crash-full fuzz powercut dkms dkms-remove deb pack

all: build

setup:
	@scripts/setup.sh

module: setup
	$(MAKE) -C kmod W=1

userland: setup
	$(NODE_BIN)/tsc -p tsconfig.build.json

build: module userland

codegen: setup
	$(NODE_BIN)/tsx codegen/src/main.ts

codegen-check: setup
	$(NODE_BIN)/tsx codegen/src/main.ts --check

checkpatch: setup
	perl build/tools/checkpatch/checkpatch.pl --strict --no-tree --terse -f \
		$$(ls kmod/*.[ch] | grep -v '\.mod\.c$$') uapi/mpool_ioctl.h uapi/mpool_omf.h

# Installing on a real host: these need no QEMU, so they skip setup (the
# scripts name the Debian packages they need when one is missing).
# The module from /usr/src/mpool-<version> under DKMS, rebuilt on kernel upgrades.
dkms:
	scripts/dkms.sh install $(KVER)

dkms-remove:
	scripts/dkms.sh remove

deb:
	scripts/deb.sh

# npm pack runs the prepack script (tsc), which needs the devDependencies.
pack:
	[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
	mkdir -p build/npm
	npm pack --pack-destination build/npm

# TEST_ARGS=--kernel-only: the W=1 build, guest suites and harness only.
test: setup
	$(NODE_BIN)/tsx tests/run-all.ts $(TEST_ARGS)

test-host: setup
	$(NODE_BIN)/vitest run --project host

# One guest suite: make test-guest SUITE=foundation
test-guest: setup userland
	$(NODE_BIN)/tsx tests/run-all.ts --suite $(SUITE)

# The full power-cut sweep (tests/guest/crash): every sequence of three
# operations, every crash point of every image; hours under TCG.
# MPOOL_CRASH_POINTS=all also cuts power between flushes (after every entry).
crash-full: setup userland
	MPOOL_CRASH_FULL=1 MPOOL_GUEST_TIMEOUT=$${MPOOL_GUEST_TIMEOUT:-43200} $(NODE_BIN)/tsx tests/run-all.ts --suite crash

# The long fuzz run: a million calls by 4 processes (the suite in make test
# runs 200,000).  MPOOL_FUZZ_SEED picks another seed; under the debug kernel,
# make test-debug SUITES=fuzz takes the same variables.
fuzz: setup userland
	MPOOL_FUZZ_CALLS=$${MPOOL_FUZZ_CALLS:-1000000} MPOOL_GUEST_TIMEOUT=$${MPOOL_GUEST_TIMEOUT:-43200} $(NODE_BIN)/tsx tests/run-all.ts --suite fuzz

# The long hard-power-cut run: 50 boots killed at random moments while four
# processes write, each checked by the next boot (make test makes 3 cuts).
# MPOOL_CUTS and MPOOL_CUT_SEED change the count and the seed.
powercut: setup userland
	MPOOL_CUTS=$${MPOOL_CUTS:-50} $(NODE_BIN)/tsx tests/vm/hardcut.ts

# SUITES=a,b limits the guest suites (CI runs a subset under the debug kernel).
test-debug: setup debug-kernel userland
	$(NODE_BIN)/tsx tests/run-all.ts --kernel debug $(if $(SUITES),--suites $(SUITES))

debug-kernel: setup
	scripts/debug-kernel.sh

demo: build
	$(NODE_BIN)/tsx scripts/demo.ts

# Ratios against raw O_DIRECT on the same virtual disk, in one VM run.
bench: build
	BENCH=$(BENCH) $(NODE_BIN)/tsx bench/run.ts

clean:
	$(MAKE) -C kmod clean || true
	rm -rf dist build/vm build/kmod build/results build/deb build/npm build/guest-dkms
