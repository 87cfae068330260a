# clawrun build.  `make` builds ./clawrun; `make check` installs test dependencies
# (apt-get, on Debian 12), builds, and runs the unit and integration suites.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKGS := yajl libseccomp libcap libarchive libcrypto libsystemd
CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
          -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
          -DCLAWRUN_VERSION='"$(VERSION)"' -DCLAWRUN_COMMIT='"$(COMMIT)"' \
          $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS += -pie -Wl,-z,relro,-z,now
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -U_FORTIFY_SOURCE
LDFLAGS += -fsanitize=$(SANITIZE)
endif

B := build
LIB_SRCS := $(filter-out runtime/main.c runtime/cmd_%.c,$(wildcard runtime/*.c)) \
            $(wildcard rootfs/*.c cgroup/*.c seccomp/*.c netns/*.c)
CMD_SRCS := runtime/main.c $(wildcard runtime/cmd_*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
CMD_OBJS := $(CMD_SRCS:%.c=$(B)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

all: clawrun

clawrun: $(LIB_OBJS) $(CMD_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# clawrun-check: the static escape-attempt program `clawrun verify` runs in sessions.
all: $(B)/clawrun-check
clawrun: | $(B)/clawrun-check
$(B)/clawrun-check: tools/check/check.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Wno-unused-parameter -o $@ tools/check/check.c

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -I. -o $@ $^ $(LDLIBS)

unit: $(UNIT_BINS)

deps:
	scripts/install-deps

check: deps
	$(MAKE) clawrun unit
	tests/run-all

demo: deps
	$(MAKE) clawrun
	scripts/demo

install: clawrun
	install -D -m 0755 clawrun $(DESTDIR)$(BINDIR)/clawrun
	install -D -m 0755 $(B)/clawrun-check $(DESTDIR)$(PREFIX)/libexec/clawrun/clawrun-check

clean:
	rm -rf $(B) clawrun

.PHONY: all unit deps check demo install clean

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d)
