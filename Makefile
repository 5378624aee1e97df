# SPDX-License-Identifier: GPL-2.0-or-later
# geoegress — plain Makefile: pkg-config for the libraries, -MMD -MP dependencies,
# V=1 for the commands, WERROR=1 (or CI=true) for warnings as errors.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
SHAREDIR  ?= $(PREFIX)/share/geoegress
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR   ?= /lib/systemd/system
SERVICE_USER := geoegress
DESTDIR   ?=

BUILD     ?= build
CC        ?= cc
CLANG     ?= clang
PKG_CONFIG ?= pkg-config
PKGS      := libnetfilter_queue libnetfilter_conntrack libnftables libmnl libmaxminddb libseccomp

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
# Warnings are errors in CI (CI=true) or when asked (WERROR=1).
ifneq ($(CI),)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

CFLAGS  ?= -O2 -g
LDFLAGS ?=
ifeq ($(SANITIZE),1)
BUILD   := build-san
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
# The daemon's seccomp allow-list admits what the sanitizer runtime needs.
CFLAGS  += -DGEOEGRESS_SANITIZER=1
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# The libraries' versions, for the build info (util/buildinfo.c).
PKG_VERSIONS := $(foreach p,$(PKGS),$(p)=$(shell $(PKG_CONFIG) --modversion $(p) 2>/dev/null))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
LIBS       := $(PKG_LIBS) -lz -lm

ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -I. $(WARN) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) \
	-DGEOEGRESS_VERSION='"$(VERSION)"' -DGEOEGRESS_SHAREDIR='"$(SHAREDIR)"' -MMD -MP

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Library modules (one folder, one header each); the CLI links them.
MODULES  := util geo rules dns nfq report
LIB_SRC  := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := $(wildcard cli/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libgeoegress.a
BIN      := $(BUILD)/geoegress

# Unit tests: tests/<module>/test_*.c, one binary each, TAP output.
UNIT_SRC := $(wildcard tests/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
# Bench helpers: tests/bench/*.c (built like unit tests).
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:%.c=$(BUILD)/%)
# Fuzz harnesses: tests/fuzz/fuzz_*.c, built with clang + libFuzzer.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -I. -g -O1 $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
	-DGEOEGRESS_VERSION='"$(VERSION)"' -DGEOEGRESS_SHAREDIR='"$(SHAREDIR)"' -DGEOEGRESS_FUZZ=1

.PHONY: all check check-kernel unit setup bench fuzz fuzz-smoke demo install uninstall clean tests deb
all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/util/buildinfo.o: ALL_CFLAGS += -DGEOEGRESS_PKG_VERSIONS='"$(PKG_VERSIONS)"'

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcsT $@ $^   # thin: members keep their paths (geo/x.o vs rules/x.o)

$(BIN): $(CLI_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LIBS)

$(BUILD)/tests/%: tests/%.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

# tests/cli/ also test the subcommands' shared helpers (cli/common.c).
$(BUILD)/tests/cli/%: tests/cli/%.c $(BUILD)/cli/common.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/cli/common.o $(LIB) $(LIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $<")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(LIBS)

tests: $(BIN) $(UNIT_BIN) $(BENCH_BIN)

# The whole set-up for the tests on a fresh Debian 12: sudo make check.
setup:
	$(Q)scripts/setup

# tests/kernel/t_stock_kernel.sh runs part of the netns suite under Debian's
# stock kernel in a VM; it skips itself under SANITIZE=1 (once per CI run).
check: setup
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run

# The whole netns suite under Debian's stock kernel (scripts/kernel-vm),
# once with --hook-backend nft and once with iptables.
check-kernel: setup
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)BUILD=$(BUILD) tests/kernel/check-kernel

unit: tests
	$(Q)BUILD=$(BUILD) tests/run --unit

fuzz-smoke: $(FUZZ_BIN)
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$${FUZZ_SECONDS:-10} tests/fuzz/run

fuzz: setup $(FUZZ_BIN)
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$${FUZZ_SECONDS:-600} tests/fuzz/run

bench: setup
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)BUILD=$(BUILD) tests/bench/run

demo: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/demo

install: $(BIN)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/geoegress \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/geoegress
	install -m 0755 scripts/geodb-build $(DESTDIR)$(SHAREDIR)/geodb-build
	install -m 0644 rules/examples/*.conf $(DESTDIR)$(SHAREDIR)/
	install -m 0644 doc/geoegress.8 $(DESTDIR)$(MANDIR)/man8/geoegress.8
	install -m 0644 doc/geoegress.conf.5 $(DESTDIR)$(MANDIR)/man5/geoegress.conf.5
	sed 's|/usr/sbin/geoegress|$(SBINDIR)/geoegress|g' scripts/geoegress.service \
		>$(DESTDIR)$(UNITDIR)/geoegress.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/geoegress.service
	install -m 0644 scripts/geoegress.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/geoegress
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/geoegress/policy.conf ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/geoegress/policy.conf"; \
	else \
		install -m 0640 rules/examples/iaf.conf $(DESTDIR)$(SYSCONFDIR)/geoegress/policy.conf; \
	fi
	@# On this machine (no DESTDIR): the unit's User=, which reads the policy.
	@if [ -z "$(DESTDIR)" ]; then \
		getent passwd $(SERVICE_USER) >/dev/null || { echo "creating system user $(SERVICE_USER)"; \
		useradd --system --user-group --home-dir /nonexistent --no-create-home \
			--shell /usr/sbin/nologin $(SERVICE_USER); } && \
		chgrp $(SERVICE_USER) $(SYSCONFDIR)/geoegress/policy.conf; \
	fi

# Keeps /etc/geoegress/policy.conf (an admin's file), the database, logs
# and the system user.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/geoegress $(DESTDIR)$(MANDIR)/man8/geoegress.8 \
		$(DESTDIR)$(MANDIR)/man5/geoegress.conf.5 $(DESTDIR)$(UNITDIR)/geoegress.service \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/geoegress
	rm -rf $(DESTDIR)$(SHAREDIR)

# The Debian package (debian/), built with dpkg-buildpackage in a copy of
# the tree under $(BUILD)/deb: the source tree stays as it is.  Writes
# $(BUILD)/deb/geoegress_$(VERSION)_<arch>.deb (and the source package).
DEBDIR := $(BUILD)/deb
deb:
	$(Q)rm -rf $(DEBDIR) && mkdir -p $(DEBDIR)/geoegress-$(VERSION)
	$(Q)if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard; \
	else \
		find . \( -path ./.git -o -path './build*' \) -prune -o \( -type f -print0 \); \
	fi | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C $(DEBDIR)/geoegress-$(VERSION)
	$(Q)cd $(DEBDIR)/geoegress-$(VERSION) && dpkg-buildpackage -us -uc >../build.log 2>&1 || \
		{ tail -30 ../build.log; echo "make deb: dpkg-buildpackage failed; see $(DEBDIR)/build.log" >&2; exit 1; }
	$(Q)ls $(DEBDIR)/geoegress_$(VERSION)_*.deb

clean:
	rm -rf build build-san

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
