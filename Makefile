# tcp_splice top-level Makefile.
#
#   make                    module for KVER + test tools + userland
#   make module [KVER=..] [KDIR=..] [W=1]
#   make tools              tests/tools/*.c -> build/tools/*
#   make userland           make -C userland (into build/userland/)
#   make deps [KVER=..]     install build and test dependencies (apt-get)
#   make unit               host unit tests (ASan + UBSan)
#   make test [KVER=..] [TESTS=glob]   host unit tests, then boot the test VM, run the suite
#   make vm-shell [KVER=..] interactive test VM
#   make check              checkpatch --strict + sparse, fail on any warning
#   make test-debug [TESTS=glob] [RESUME=last]  the suite under a debug kernel (KASAN,
#                           lockdep, kmemleak...) built from linux-source-6.1
#   make soak-debug         make soak under that debug kernel
#   make clean / distclean
#
# KVER is the release of a Debian kernel package (default: the one that
# linux-image-amd64 depends on); KVER=6.12 picks the 6.12 package's release.
# KDIR (default /usr/src/linux-headers-$(KVER)) selects the headers; for a
# real host: make KDIR=/lib/modules/$(uname -r)/build.
# The module is built out of the source tree, one copy per kernel, in
# build/<KVER>/; the result is build/<KVER>/kernel/tcp_splice.ko.

SHELL := /bin/bash
.DEFAULT_GOAL := all

# The release linux-image-amd64 depends on, else the newest 6.1 in /boot.
KVER_FALLBACK := 6.1.0-56-amd64
kver_of_meta = $(shell dpkg-query -W -f='$${Depends}' $(1) 2>/dev/null | \
	sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
# kver_in_boot X.Y: the newest X.Y.*-amd64 release with a kernel in /boot.
kver_in_boot = $(shell ls /boot/vmlinuz-$(1).*-amd64 2>/dev/null | sort -V | tail -n 1 | sed 's|^/boot/vmlinuz-||')
KVER_DEFAULT := $(call kver_of_meta,linux-image-amd64)
ifeq ($(KVER_DEFAULT),)
KVER_DEFAULT := $(call kver_in_boot,6.1)
endif
ifeq ($(KVER_DEFAULT),)
KVER_DEFAULT := $(KVER_FALLBACK)
endif

KVER_ARG := $(KVER)
ifneq ($(KDIR),)
ifeq ($(KVER),)
# Headers given, release not: name the build directory after the headers.
KVER := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null || echo custom)
endif
endif
ifeq ($(KVER),)
override KVER := $(KVER_DEFAULT)
else ifeq ($(findstring -,$(KVER)),)
# A short version such as 6.12: the release of linux-image-6.12-amd64, or
# the newest 6.12.*-amd64 in /boot (KVER=6.1: the default package).
override KVER := $(or $(call kver_of_meta,linux-image-$(KVER)-amd64),$(call kver_in_boot,$(KVER)),$(KVER))
endif
KDIR ?= /usr/src/linux-headers-$(KVER)

BUILD   := build
MODDIR  := $(BUILD)/$(KVER)
KO      := $(MODDIR)/kernel/tcp_splice.ko
TESTS   ?= *
# Whole guest run (every case also has its own timeout).  The default suite
# takes about 20 min on an idle 2-core machine; the margin is for a busy one.
TSP_TIMEOUT ?= 3600

CC      ?= cc
TOOLS_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -Iinclude/uapi
LIBNL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
LIBNL_LIBS   := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
TOOLS_SRC := $(wildcard tests/tools/*.c)
TOOLS     := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOLS_SRC))
TOOLS_HDR := $(wildcard tests/tools/*.h) $(wildcard include/uapi/linux/*.h)

# What kbuild needs from the tree: copied (mtimes kept) into $(MODDIR).
MOD_SRC := $(wildcard Kbuild kernel/Kbuild kernel/Makefile kernel/*.c kernel/*.h \
	include/uapi/linux/*.h)

# The test-only fault-injection module (tests/fault/: not installed, not in
# the dkms package), built beside the module as $(MODDIR)/fault/tsp_fault.ko.
FAULT_SRC := $(wildcard tests/fault/Kbuild tests/fault/*.c)

CHECKPATCH_DIR := $(BUILD)/cache/checkpatch
CHECKPATCH := $(CHECKPATCH_DIR)/scripts/checkpatch.pl
CHECK_FILES := $(wildcard kernel/*.c kernel/*.h include/uapi/linux/*.h tests/fault/*.c)

.PHONY: all module _module tools userland deps test vm-shell check clean distclean bench _bench stress _stress demo _demo \
	_test _vm-shell _check unit

# userland/ has a Makefile of its own (libtcpsplice, tcpspliceadm, switchd).
HAVE_USERLAND := $(wildcard userland/Makefile)

all: module tools $(if $(HAVE_USERLAND),userland)

userland:
	$(if $(HAVE_USERLAND),$(MAKE) -C userland,@echo "make: no userland/Makefile yet")

deps:
	@tests/vm/deps.sh $(KVER_ARG)

# sync_src DIR: copy the module sources into DIR (mtimes kept, unchanged
# files untouched) and drop the ones deleted from the tree.
define sync_src
@mkdir -p $(1)
@for f in $(MOD_SRC); do \
	mkdir -p $(1)/$$(dirname $$f); \
	cmp -s $$f $(1)/$$f || cp -p $$f $(1)/$$f; \
done
@cd $(1) && for f in Kbuild kernel/Kbuild kernel/Makefile kernel/*.[ch] include/uapi/linux/*.h; do \
	[ ! -e "$$f" ] || [ -e "$(CURDIR)/$$f" ] || rm -f "$$f"; \
done
endef

# sync_fault DIR: the same for the fault module's sources, into DIR/fault.
define sync_fault
@mkdir -p $(1)/fault
@for f in $(FAULT_SRC); do cmp -s $$f $(1)/fault/$${f##*/} || cp -p $$f $(1)/fault/; done
endef

HAVE_KBUILD := $(wildcard Kbuild)
ifneq ($(HAVE_KBUILD),)
# One kbuild at a time per build directory (several people may share a tree).
module:
	@mkdir -p $(BUILD)
	@flock $(BUILD)/.$(KVER).lock $(MAKE) --no-print-directory _module
_module:
	@test -d $(KDIR) || { echo "make: no kernel headers in $(KDIR) (make deps, or set KDIR)" >&2; exit 1; }
	$(call sync_src,$(MODDIR))
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(MODDIR) modules
	$(call sync_fault,$(MODDIR))
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(MODDIR)/fault modules
else
module:
	@echo "make: no Kbuild in the tree yet: no module to build" >&2
endif

tools: $(TOOLS)

$(BUILD)/tools/%: tests/tools/%.c $(TOOLS_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) $(LIBNL_CFLAGS) -o $@ $< -Wl,--as-needed $(LIBNL_LIBS)

# deps first, then a fresh make that sees what deps installed.
test: deps
	@$(MAKE) --no-print-directory _test
vm-shell: deps
	@$(MAKE) --no-print-directory _vm-shell
check: deps
	@$(MAKE) --no-print-directory _check

# Host unit tests (ASan + UBSan): the library, tcpspliceadm, switchd's
# parsers, the /proc line format; then make install/install-dkms/uninstall
# into a staging directory (tests/unit/test_install.sh).  `make test` runs
# them before the VM.
unit: all
	@$(MAKE) --no-print-directory -C userland check
	@$(MAKE) --no-print-directory -C userland/switchd check
	@mkdir -p $(BUILD)/unit
	$(CC) -std=gnu11 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
		-o $(BUILD)/unit/conn_fmt_test tests/unit/conn_fmt_test.c kernel/conn_fmt.c
	@$(BUILD)/unit/conn_fmt_test > $(BUILD)/unit/conn_fmt_test.log && echo "  conn_fmt_test: all passed"
	@tests/unit/test_install.sh

_test: all unit
	@tests/vm/run.sh --kver $(KVER) --ko $(KO) --tests '$(TESTS)' --timeout $(TSP_TIMEOUT)

# Benchmarks: tests/bench/*.sh in one VM run (numbers, not pass/fail gates).
bench: deps
	@$(MAKE) --no-print-directory _bench
# QUICK=1: 32 MiB flows, fewer rounds, 1000 idle sessions (under 5 min);
# the guest reads it from its kernel command line (tsp_bench_quick=), and
# overrides for a partial run by hand from $(BUILD)/bench-overrides.conf
# (tests/bench/_bench.bash).  BENCH_MEM: the bench VM's memory (100 000
# idle spliced sessions need about 2 GB of kernel memory).  Then, on the
# host, tables and plots from the run's TSV (tests/bench/report.bash); a
# full run also updates Documentation/benchmarks.md and
# Documentation/benchmarks/.
QUICK ?=
BENCH_MEM ?= 4G
_bench: all
	@set -o pipefail; rc=0; tests/vm/run.sh --kver $(KVER) --ko $(KO) --cases tests/bench \
		--tests '$(TESTS)' --timeout $(TSP_TIMEOUT) --mem $(BENCH_MEM) \
		--append 'tsp_bench_quick=$(if $(filter-out 0,$(QUICK)),1,0)' | tee $(BUILD)/bench-run.log || rc=$$?; \
	out=$$(sed -n 's/^vm: booting .*, results in //p' $(BUILD)/bench-run.log); \
	if [ -s "$$out/bench-bulk.tsv" ]; then \
		tests/bench/report.bash "$$out" $(if $(filter-out 0,$(QUICK)),,Documentation) || rc=1; \
	fi; exit $$rc

# The demo: switchd in front of two web servers in the VM, kernel vs copy.
demo: deps
	@$(MAKE) --no-print-directory _demo
_demo: all
	@tests/demo/run-demo.sh --kver $(KVER) --ko $(KO)

# The suite under a debug kernel: linux-source-6.1 built with KASAN,
# lockdep (PROVE_LOCKING, PROVE_RCU), DEBUG_ATOMIC_SLEEP, kmemleak and
# debugobjects (tests/vm/debug-kernel.sh, tests/vm/debug-kernel.config;
# cached and resumable in $(BUILD)/cache/debug-kernel/), the module built
# against it, every case's timeout times DEBUG_TMO_MULT, a kmemleak scan
# after the last case.  Any splat or a leak through the module fails it.
# RESUME=last (the newest debug run of the suite: soak-debug runs are not)
# or RESUME=build/vm-out/<run> continues
# an interrupted run: the cases that passed there are not run again.
DEBUG_KDIR     := $(CURDIR)/$(BUILD)/cache/debug-kernel/obj
DEBUG_TMO_MULT ?= 4
DEBUG_MEM      ?= 3G
DEBUG_TIMEOUT  ?= 21600
.PHONY: test-debug _test-debug debug-kernel
test-debug: debug-kernel
	@$(MAKE) --no-print-directory _test-debug KDIR=$(DEBUG_KDIR) \
		KVER=$$(cat $(DEBUG_KDIR)/include/config/kernel.release)
debug-kernel:
	@TSP_DEPS_DEBUG=1 tests/vm/deps.sh
	@tests/vm/debug-kernel.sh
_test-debug: all
	@tests/vm/run.sh --kver $(KVER) --kernel $(KDIR)/arch/x86/boot/bzImage --ko $(KO) --tests '$(TESTS)' \
		--timeout $(DEBUG_TIMEOUT) --mem $(DEBUG_MEM) --tmo-mult $(DEBUG_TMO_MULT) --kmemleak \
		--append 'rcupdate.rcu_cpu_stall_timeout=120' \
		$(if $(RESUME),--resume $(if $(filter last,$(RESUME)),$$(dirname "$$(grep -lx 'TSP_CASES=tests/cases' $(BUILD)/vm-out/*-tspdebug-test-*/guest.env | tail -n 1)"),$(RESUME)))

# Stress: tests/stress/*.sh (long loops hunting races; not in CI).
stress: deps
	@$(MAKE) --no-print-directory _stress
_stress: all
	@tests/vm/run.sh --kver $(KVER) --ko $(KO) --cases tests/stress --tests '$(TESTS)' --timeout $(TSP_TIMEOUT)

_vm-shell: all
	@tests/vm/run.sh --shell --kver $(KVER) --ko $(KO) --tests '$(TESTS)'

$(CHECKPATCH):
	@mkdir -p $(CHECKPATCH_DIR)
	@src=$$(ls /usr/src/linux-source-*.tar.* 2>/dev/null | sort -V | tail -n 1); \
	test -n "$$src" || { echo "make: no /usr/src/linux-source-*.tar.* (make deps)" >&2; exit 1; }; \
	top=$$(basename $$src); top=$${top%.tar.*}; \
	echo "  EXTRACT checkpatch.pl from $$src"; \
	tar -xaf $$src -C $(CHECKPATCH_DIR) --strip-components=1 \
		$$top/scripts/checkpatch.pl $$top/scripts/spelling.txt \
		$$top/scripts/const_structs.checkpatch
	@touch $@

# A directory of its own per run: concurrent checks must not share objects.
CHECKDIR := $(BUILD)/check/$(KVER).$(shell echo $$$$)
_check: $(CHECKPATCH)
	@test -n "$(CHECK_FILES)" || { echo "make: nothing to check" >&2; exit 1; }
	perl $(CHECKPATCH) --strict --no-tree --show-types --quiet --file $(CHECK_FILES)
	@echo "  checkpatch: clean"
	@rm -rf $(CHECKDIR)
	$(call sync_src,$(CHECKDIR))
	$(call sync_fault,$(CHECKDIR))
	@set -o pipefail; \
	{ $(MAKE) -C $(KDIR) M=$(CURDIR)/$(CHECKDIR) C=2 W=1 modules && \
	  $(MAKE) -C $(KDIR) M=$(CURDIR)/$(CHECKDIR)/fault C=2 W=1 modules; } 2>&1 | \
		sed "s|$(CURDIR)/$(CHECKDIR)/||" | tee $(CHECKDIR).log; \
	rc=$$?; \
	if grep -E '(warning|error):' $(CHECKDIR).log; then \
		echo "make check: the lines above are sparse or compiler warnings" >&2; rc=1; \
	fi; \
	rm -rf $(CHECKDIR) $(CHECKDIR).log; exit $$rc
	@echo "  sparse + W=1: clean"

clean:
	rm -rf $(BUILD)/[0-9]* $(BUILD)/custom $(BUILD)/check $(BUILD)/tools $(BUILD)/vm-out \
		$(BUILD)/userland

distclean:
	rm -rf $(BUILD)

# ---- install, Debian packages ------------------------------------------
#   make install [DESTDIR=] [PREFIX=/usr/local] [LIBDIR=] [KDIR=|KVER=]
#                           = install-module install-userland install-data
#   make install-module     the module for KVER/KDIR into
#                           $(DESTDIR)/lib/modules/<KVER>/updates/ (then
#                           depmod, unless DESTDIR is set)
#   make install-userland   libtcpsplice (static, shared, headers, .pc),
#                           tcpspliceadm, switchd and their man pages
#   make install-data       switchd.service, $(SYSCONFDIR)/switchd/switchd.conf
#                           (kept if there), the udev rule, examples
#                           (modules-load.d, sysctl.d, switchd.conf)
#   make install-dkms       the DKMS source tree /usr/src/tcp-splice-<version>/
#   make uninstall          what install put there (not the configuration)
#   make deb [DEB_SRC=HEAD] Debian packages into build/deb/ (packaging/build-deb.sh;
#                           DEB_SRC: from that commit, not the working tree)
#   make dkms-check         dkms add + build of the packaged source for every
#                           kernel with headers here, in a private DKMS tree
#   make test-packages      make deb and dkms-check, then tests/packages/*.sh
#                           in the test VM (TSP_PKG_TIMEOUT, default 3600 s;
#                           TSP_PKG_DKMS=guest: DKMS compiles in the VM, not
#                           on the host)
# Every directory can be overridden: PREFIX LIBDIR INCLUDEDIR SBINDIR
# MANDIR DOCDIR SYSCONFDIR UNITDIR UDEVRULESDIR MODDEST DKMSDIR.
PKG_VERSION  := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf 2>/dev/null)
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
SBINDIR      ?= $(PREFIX)/sbin
MANDIR       ?= $(PREFIX)/share/man
DOCDIR       ?= $(PREFIX)/share/doc/tcp-splice
SYSCONFDIR   ?= /etc
UNITDIR      ?= $(PREFIX)/lib/systemd/system
UDEVRULESDIR ?= /lib/udev/rules.d
MODDEST      ?= /lib/modules/$(KVER)/updates
DKMSDIR      ?= /usr/src/tcp-splice-$(PKG_VERSION)
INSTALL_VARS  = DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) \
	INCLUDEDIR=$(INCLUDEDIR) SBINDIR=$(SBINDIR) MANDIR=$(MANDIR)
DEB_OUT      := $(BUILD)/deb
TSP_PKG_TIMEOUT ?= 3600
TSP_PKG_DKMS    ?= host

.PHONY: install install-module install-userland install-data install-dkms uninstall \
	deb test-packages _test-packages dkms-check

install: install-module install-userland install-data

install-module: module
	install -D -m 644 $(KO) $(DESTDIR)$(MODDEST)/tcp_splice.ko
	$(if $(DESTDIR),,depmod -a $(KVER))

install-userland:
	$(MAKE) -C userland install $(INSTALL_VARS)
	$(MAKE) -C userland/switchd install $(INSTALL_VARS)

install-data:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/switchd $(DESTDIR)$(UDEVRULESDIR) \
		$(DESTDIR)$(DOCDIR)/examples/modules-load.d $(DESTDIR)$(DOCDIR)/examples/sysctl.d
	sed -e 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		packaging/switchd.service.in > $(DESTDIR)$(UNITDIR)/switchd.service
	chmod 644 $(DESTDIR)$(UNITDIR)/switchd.service
	test -e $(DESTDIR)$(SYSCONFDIR)/switchd/switchd.conf || \
		install -m 644 packaging/switchd.conf $(DESTDIR)$(SYSCONFDIR)/switchd/switchd.conf
	install -m 644 packaging/udev/60-tcp_splice.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 644 packaging/modules-load.d/tcp_splice.conf $(DESTDIR)$(DOCDIR)/examples/modules-load.d/
	install -m 644 packaging/sysctl.d/60-tcp_splice.conf $(DESTDIR)$(DOCDIR)/examples/sysctl.d/
	install -m 644 userland/switchd/switchd.conf.example $(DESTDIR)$(DOCDIR)/examples/

install-dkms:
	@test -n "$(PKG_VERSION)" || { echo "make: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	@set -e; for f in dkms.conf $(MOD_SRC); do \
		echo "  INSTALL $(DESTDIR)$(DKMSDIR)/$$f"; \
		install -D -m 644 $$f $(DESTDIR)$(DKMSDIR)/$$f; \
	done

uninstall:
	$(MAKE) -C userland uninstall $(INSTALL_VARS)
	$(MAKE) -C userland/switchd uninstall $(INSTALL_VARS)
	rm -f $(DESTDIR)$(MODDEST)/tcp_splice.ko $(DESTDIR)$(UNITDIR)/switchd.service \
		$(DESTDIR)$(UDEVRULESDIR)/60-tcp_splice.rules
	rm -rf $(DESTDIR)$(DOCDIR)
	$(if $(DESTDIR),,depmod -a $(KVER))

# The packages are built from a copy of the tree in build/deb/src/, their
# files land in build/deb/ (lintian must find no error).
deb:
	@packaging/build-deb.sh $(if $(DEB_SRC),--src $(DEB_SRC)) $(DEB_OUT)

# Packages, then the VM case(s) of tests/packages/ (not in CI: DKMS
# compiles the module inside the emulated guest).
test-packages:
	@TSP_DEPS_PACKAGING=1 tests/vm/deps.sh $(KVER_ARG)
	@$(MAKE) --no-print-directory _test-packages
_test-packages: userland deb
	@packaging/dkms-check.sh $(DEB_OUT)
	@echo $(TSP_PKG_DKMS) > $(DEB_OUT)/dkms-mode
	@tests/vm/run.sh --kver $(KVER) --ko '' --cases tests/packages --tests '$(TESTS)' --timeout $(TSP_PKG_TIMEOUT)

# DKMS builds of the packaged module for every kernel with headers here,
# in a private DKMS tree under build/deb/dkms-check/ (the host's DKMS
# state untouched).
dkms-check:
	@packaging/dkms-check.sh $(DEB_OUT)

# Soak: tests/soak/*.sh in one VM run (not in CI): fault rounds over hundreds
# of concurrent spliced sessions for SOAK_MINUTES, then the rest of
# FUZZ_REQUESTS tsp_fuzz requests (about 600 a second in the emulated
# guest: the default million takes most of an hour).  The guest reads the
# settings from $(BUILD)/soak.conf.  SOAK_SEED replays a run's choices.
SOAK_MINUTES  ?= 5
SOAK_SESSIONS ?= 240
FUZZ_REQUESTS ?= 1000000
FUZZ_CHUNK    ?= 20000
SOAK_SEED     ?=
.PHONY: soak _soak
soak: deps
	@$(MAKE) --no-print-directory _soak
_soak: all
	@printf 'SOAK_MINUTES=%s\nSOAK_SESSIONS=%s\nFUZZ_REQUESTS=%s\nFUZZ_CHUNK=%s\n%s\n' \
		'$(SOAK_MINUTES)' '$(SOAK_SESSIONS)' '$(FUZZ_REQUESTS)' '$(FUZZ_CHUNK)' \
		'$(if $(SOAK_SEED),SOAK_SEED=$(SOAK_SEED))' > $(BUILD)/soak.conf
	@tests/vm/run.sh --kver $(KVER) --ko $(KO) --cases tests/soak --tests '$(TESTS)' \
		--timeout $$(( ($(SOAK_MINUTES) * 60 * 3 + $(FUZZ_REQUESTS) / 200 + 1800) * $(SOAK_TMO_MULT) )) \
		$(SOAK_VM_ARGS)

# The soak under the debug kernel of make test-debug (its checkers slow the
# guest about tenfold: 3 minutes of faults and 20 000 fuzz requests by
# default; kmemleak scanned at the end, any splat or leak through the
# module fails it).
SOAK_TMO_MULT ?= 1
.PHONY: soak-debug
soak-debug: debug-kernel
	@$(MAKE) --no-print-directory _soak KDIR=$(DEBUG_KDIR) \
		KVER=$$(cat $(DEBUG_KDIR)/include/config/kernel.release) \
		FUZZ_REQUESTS=$(if $(filter command line,$(origin FUZZ_REQUESTS)),$(FUZZ_REQUESTS),20000) \
		SOAK_MINUTES=$(if $(filter command line,$(origin SOAK_MINUTES)),$(SOAK_MINUTES),3) \
		SOAK_TMO_MULT=$(DEBUG_TMO_MULT) \
		SOAK_VM_ARGS="--kernel $(DEBUG_KDIR)/arch/x86/boot/bzImage --mem $(DEBUG_MEM) \
		--tmo-mult $(DEBUG_TMO_MULT) --kmemleak --append rcupdate.rcu_cpu_stall_timeout=120"
