# SPDX-License-Identifier: MIT
# Bufferbane — one Makefile for the two programs, the tests, sanitizers, fuzzers
# and benchmarks.  Sources are found by folder: a new module is a new .c file,
# a new unit test is tests/unit/test_<module>.c, a new fuzz target is
# tests/fuzz/fuzz_<name>.c.  Quiet unless V=1.

CC       ?= cc
CLANG    ?= clang
PREFIX   ?= /usr/local
DESTDIR  ?=
CFLAGS   ?= -O2 -g
WERROR   ?= 1
SANITIZE ?=
BUILD    ?= build
FUZZ_SECONDS ?= 20

VERSION := 0.1.0

# libev ships no pkg-config file on Debian, so it is linked by name.
PKGS := ncursesw libsodium sqlite3 libconfig cairo libmicrohttpd

# Our flags first, then the caller's CPPFLAGS/CFLAGS/LDFLAGS (make's own
# names, from the command line or the environment), then the sanitizer's,
# last so that its -O1 wins over CFLAGS' -O2:
#   cc $(BB_CPPFLAGS) $(CPPFLAGS) $(BB_CFLAGS) $(CFLAGS) $(SAN_CFLAGS)
BB_CPPFLAGS := -D_GNU_SOURCE -I. -MMD -MP -DBB_VERSION=\"$(VERSION)\" \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
BB_CFLAGS := -std=c11 -Wall -Wextra -Wshadow -Wformat=2 \
	-Wno-unused-parameter -fno-strict-aliasing
ifeq ($(WERROR),1)
BB_CFLAGS += -Werror
endif
BB_LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev -lpthread -lm

ifneq ($(SANITIZE),)
SAN_CFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -O1
SAN_LDFLAGS := -fsanitize=$(SANITIZE)
endif

COMPILE = $(CC) $(BB_CPPFLAGS) $(CPPFLAGS) $(BB_CFLAGS) $(CFLAGS) $(SAN_CFLAGS)
LINK = $(CC) $(CFLAGS) $(SAN_CFLAGS) $(LDFLAGS) $(SAN_LDFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- sources by layer ------------------------------------------------------
PROTO_SRC  := $(sort $(wildcard proto/*.c))
CORE_SRC   := $(sort $(wildcard core/*.c core/*/*.c))
# The client's main() and its sub-commands (tui/cmd_*.c) link into the
# program only; every other file also links into the tests.
CLI_SRC    := tui/main.c $(sort $(wildcard tui/cmd_*.c))
TUI_SRC    := $(sort $(filter-out $(CLI_SRC),$(wildcard tui/*.c tui/*/*.c)))
SERVER_SRC := $(sort $(filter-out server/main.c,$(wildcard server/*.c)))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

PROTO_OBJ  := $(call obj,$(PROTO_SRC))
CORE_OBJ   := $(call obj,$(CORE_SRC))
TUI_OBJ    := $(call obj,$(TUI_SRC))
CLI_OBJ    := $(call obj,$(CLI_SRC))
SERVER_OBJ := $(call obj,$(SERVER_SRC))

LIB_PROTO  := $(BUILD)/libbbproto.a
LIB_CORE   := $(BUILD)/libbbcore.a
LIB_TUI    := $(BUILD)/libbbtui.a
LIB_SERVER := $(BUILD)/libbbserver.a
ALL_LIBS   := $(LIB_TUI) $(LIB_SERVER) $(LIB_CORE) $(LIB_PROTO)

# Programs land in the repository root for the default build, inside the
# build folder for sanitizer builds (so both can exist side by side).
ifeq ($(BUILD),build)
BINDIR := .
else
BINDIR := $(BUILD)
endif
CLIENT := $(BINDIR)/bufferbane
SERVER := $(BINDIR)/bufferbane-server

UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_SRC  := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN  := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
TESTLIB_SRC := $(sort $(wildcard tests/lib/*.c))
TESTLIB_OBJ := $(call obj,$(TESTLIB_SRC))

.SECONDARY:

.PHONY: all deps test test-run check-asan check-tsan fuzz check-layers format \
	format-check soak \
	bench install uninstall install-setcap clean screenshots

all: $(CLIENT) $(SERVER)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(COMPILE) -c $< -o $@

# The HTML chart's renderer is built into its object (.incbin), which -MMD
# does not see.
$(BUILD)/core/chart/chart_html.o build/fuzz/obj/core/chart/chart_html.o: \
	core/chart/chart_html.js

$(LIB_PROTO): $(PROTO_OBJ)
$(LIB_CORE): $(CORE_OBJ)
$(LIB_TUI): $(TUI_OBJ)
$(LIB_SERVER): $(SERVER_OBJ)
$(ALL_LIBS):
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(CLIENT): $(CLI_OBJ) $(LIB_TUI) $(LIB_CORE) $(LIB_PROTO)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LINK) $^ $(BB_LDLIBS) $(LDLIBS) -o $@

$(SERVER): $(BUILD)/server/main.o $(LIB_SERVER) $(LIB_CORE) $(LIB_PROTO)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LINK) $^ $(BB_LDLIBS) $(LDLIBS) -o $@

# Unit tests link every library but the programs' own files (main.o and the
# client's commands; chrony's rule).
$(BUILD)/tests/%: tests/unit/%.c $(TESTLIB_OBJ) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(COMPILE) $(LDFLAGS) $(SAN_LDFLAGS) $< $(TESTLIB_OBJ) $(ALL_LIBS) \
		$(BB_LDLIBS) $(LDLIBS) -lcmocka -o $@

$(BUILD)/bench/%: tests/bench/%.c $(TESTLIB_OBJ) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BENCH   $@")
	$(Q)$(COMPILE) $(LDFLAGS) $(SAN_LDFLAGS) $< $(TESTLIB_OBJ) $(ALL_LIBS) \
		$(BB_LDLIBS) $(LDLIBS) -o $@

# ---- dependencies ----------------------------------------------------------
# Debian 12 packages: build libraries, test tools and the lab's reference peers.
DEB_PKGS := build-essential pkg-config libncurses-dev libsodium-dev \
	libsqlite3-dev libev-dev libconfig-dev libcmocka-dev libcairo2-dev \
	libmicrohttpd-dev clang \
	libclang-rt-14-dev iproute2 nftables iputils-ping irtt iperf3 fping \
	tmux dnsmasq-base sqlite3 procps python3 python3-cryptography util-linux \
	chromium python3-pil fonts-dejavu-core groff-base man-db libcap2-bin systemd \
	prometheus curl

deps:
	@./tests/deps.sh $(DEB_PKGS)

# ---- tests -----------------------------------------------------------------
test: deps
	$(Q)$(MAKE) --no-print-directory test-run

test-run: all $(UNIT_BIN)
	$(Q)BB_BUILD=$(BUILD) BB_BIN=$(CLIENT) BB_SERVER_BIN=$(SERVER) \
		./tests/run.sh $(UNIT_BIN)

check-asan: deps
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) --no-print-directory BUILD=build/asan \
		SANITIZE=address,undefined test-run

check-tsan: deps
	$(Q)TSAN_OPTIONS=halt_on_error=1 BB_TSAN=1 \
	$(MAKE) --no-print-directory BUILD=build/tsan SANITIZE=thread \
		test-run

# ---- fuzzing (clang libFuzzer) ---------------------------------------------
# The parsers are pure functions in proto/ and core/: both layers are built
# once with coverage instrumentation and each target links what it uses.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -DBB_VERSION=\"$(VERSION)\" -I. -g -O1 \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SAN := address,undefined
FUZZ_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(PROTO_SRC) $(CORE_SRC))

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@

build/fuzz/libfuzzbb.a: $(FUZZ_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libfuzzbb.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) $(LDFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) $< \
		build/fuzz/libfuzzbb.a $(BB_LDLIBS) $(LDLIBS) -o $@

fuzz: deps $(FUZZ_BIN)
	$(Q)./tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

# ---- layering: proto/ is standalone, core/ knows no curses, tui/ no sockets --
check-layers:
	$(Q)./tests/check-layers.sh

# Formatting with clang-format 14 (Debian 12's; tests/format-check.sh pins
# it): format-check shows what differs and fails, format rewrites the files.
FORMAT_PKGS := clang-format-14

format-check:
	@./tests/deps.sh $(FORMAT_PKGS)
	$(Q)./tests/format-check.sh

format:
	@./tests/deps.sh $(FORMAT_PKGS)
	$(Q)./tests/format-check.sh -i

# 30 minutes of 10 ms probing with five targets and a server under
# ASan+LeakSanitizer: no report, RSS flat, no fd growth (tests/lib/soak.sh;
# make test runs a two-minute version with the plain build).  ASan keeps
# freed memory in a quarantine (256 MB by default) that would read as
# growth; 32 MB still catches a use after a recent free.
SOAK_SECONDS ?= 1800
soak: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build/asan \
		SANITIZE=address,undefined all
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=32 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	BB_BIN=build/asan/bufferbane BB_SERVER_BIN=build/asan/bufferbane-server \
		./tests/lib/soak.sh $(SOAK_SECONDS)

bench: all $(BENCH_BIN)
	$(Q)./tests/bench/run.sh $(BENCH_BIN)

# Standalone tools (tests/bench pattern rule; not bench_*, so run.sh does
# not run them): the attack tests' bbattack, the capacity bench's loadgen,
# the database generators bbgen (export, events, retention) and gendb
# (charts).
TOOL_BIN := $(BUILD)/bench/bbattack $(BUILD)/bench/loadgen $(BUILD)/bench/bbgen \
	$(BUILD)/bench/gendb
test-run bench: $(TOOL_BIN)

# Real captures of each screen from tmux, rendered to PNG: a replay of a
# generated week (bbgen) and, as root, the lab's shaped modem (iperf3).
SCREENSHOT_PKGS := tmux iproute2 iperf3 python3 python3-pil fonts-dejavu-core

screenshots: all $(BUILD)/bench/bbgen
	@./tests/deps.sh $(SCREENSHOT_PKGS)
	$(Q)./tests/screenshots.sh

# ---- installation ----------------------------------------------------------
# GNU directory names (lower case: BINDIR above is the build's output).
# sysconfdir stays /etc whatever PREFIX is: it is where the programs look
# for their configuration.  The server is a daemon for the administrator,
# so it goes to sbin with its page in section 8 (Debian's practice).  With
# PREFIX=/usr the units go where systemd's pkg-config file says; otherwise
# to PREFIX/lib/systemd/system, which systemd also reads (/usr/local/...).
bindir      ?= $(PREFIX)/bin
sbindir     ?= $(PREFIX)/sbin
sysconfdir  ?= /etc
datadir     ?= $(PREFIX)/share
mandir      ?= $(datadir)/man
docdir      ?= $(datadir)/doc/bufferbane
bashcompdir ?= $(datadir)/bash-completion/completions
ifeq ($(PREFIX),/usr)
systemdsystemunitdir ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
else
systemdsystemunitdir ?= $(PREFIX)/lib/systemd/system
endif
INSTALL ?= install
MAN_PAGES := etc/man/bufferbane.1 etc/man/bufferbane.conf.5 etc/man/bufferbane-server.8
UNITS     := bufferbane.service bufferbane-server.service
CONFS     := bufferbane.conf bufferbane-server.conf
CONF_DIR   = $(DESTDIR)$(sysconfdir)/bufferbane
UNIT_SUBST = sed -e 's|@BINDIR@|$(bindir)|g' -e 's|@SBINDIR@|$(sbindir)|g' \
	-e 's|@SYSCONFDIR@|$(sysconfdir)|g'

# The examples become the configuration only where there is none: an
# existing file that differs (edited) is kept and the example goes next to
# it as FILE.dist.  uninstall removes a configuration only when it is still
# the example, so an edited one survives.
install: all
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(sbindir) $(CONF_DIR) \
		$(DESTDIR)$(systemdsystemunitdir) $(DESTDIR)$(docdir) \
		$(DESTDIR)$(bashcompdir) $(DESTDIR)$(mandir)/man1 \
		$(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8
	$(INSTALL) -m 0755 $(CLIENT) $(DESTDIR)$(bindir)/bufferbane
	$(INSTALL) -m 0755 $(SERVER) $(DESTDIR)$(sbindir)/bufferbane-server
	$(Q)for f in $(CONFS); do \
		dst=$(CONF_DIR)/$$f; \
		if [ ! -e "$$dst" ]; then \
			echo "$(INSTALL) -m 0644 etc/$$f $$dst"; \
			$(INSTALL) -m 0644 etc/$$f "$$dst" || exit 1; \
			rm -f "$$dst.dist"; \
		elif cmp -s etc/$$f "$$dst"; then \
			rm -f "$$dst.dist"; \
		else \
			$(INSTALL) -m 0644 etc/$$f "$$dst.dist" || exit 1; \
			echo "kept $$dst (edited); the new example is $$dst.dist"; \
		fi; \
	done
	$(Q)for u in $(UNITS); do \
		echo "$(INSTALL) etc/$$u.in $(DESTDIR)$(systemdsystemunitdir)/$$u"; \
		$(UNIT_SUBST) etc/$$u.in >$(DESTDIR)$(systemdsystemunitdir)/$$u && \
		chmod 0644 $(DESTDIR)$(systemdsystemunitdir)/$$u || exit 1; \
	done
	$(INSTALL) -m 0644 etc/man/bufferbane.1 $(DESTDIR)$(mandir)/man1/
	$(INSTALL) -m 0644 etc/man/bufferbane.conf.5 $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 0644 etc/man/bufferbane-server.8 $(DESTDIR)$(mandir)/man8/
	$(INSTALL) -m 0644 etc/bash-completion/bufferbane $(DESTDIR)$(bashcompdir)/bufferbane
	ln -sf bufferbane $(DESTDIR)$(bashcompdir)/bufferbane-server
	$(INSTALL) -m 0644 README.md etc/grafana-dashboard.json $(DESTDIR)$(docdir)/

uninstall:
	rm -f $(DESTDIR)$(bindir)/bufferbane $(DESTDIR)$(sbindir)/bufferbane-server
	rm -f $(addprefix $(DESTDIR)$(systemdsystemunitdir)/,$(UNITS))
	rm -f $(DESTDIR)$(mandir)/man1/bufferbane.1 \
		$(DESTDIR)$(mandir)/man5/bufferbane.conf.5 \
		$(DESTDIR)$(mandir)/man8/bufferbane-server.8
	rm -f $(DESTDIR)$(bashcompdir)/bufferbane $(DESTDIR)$(bashcompdir)/bufferbane-server
	rm -f $(DESTDIR)$(docdir)/README.md $(DESTDIR)$(docdir)/grafana-dashboard.json
	$(Q)for f in $(CONFS); do \
		dst=$(CONF_DIR)/$$f; \
		rm -f "$$dst.dist"; \
		if cmp -s etc/$$f "$$dst"; then rm -f "$$dst"; \
		elif [ -e "$$dst" ]; then echo "kept $$dst (edited)"; fi; \
	done
	-$(Q)rmdir $(DESTDIR)$(docdir) $(CONF_DIR) 2>/dev/null || true

# Raw sockets for the installed client, for users without ping sockets
# (the systemd unit gives the capability by itself).  Again after each
# install: a new file has no capability.
install-setcap:
	setcap cap_net_raw+ep $(DESTDIR)$(bindir)/bufferbane

clean:
	rm -rf build bufferbane bufferbane-server

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
