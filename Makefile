# lockmatrix: build, test, demo, bench.
#
#   make            build ./lockmatrix
#   make setup      install what it needs (Debian packages, the cache of every
#                   PostgreSQL major of model/versions.tsv); MINORS="17.9 17.10"
#                   also fetches those minor releases
#   make demo       setup, build, trace fixtures/cases on every major, print the report
#   make test       setup, build (plain and ASan+UBSan), run unit and integration tests
#   make bench      print the benchmark figures
#   make install    the binary, its manual page and bash/zsh completions
#                   (PREFIX, default /usr/local; DESTDIR for staging)
#   make uninstall  remove what make install put there
#
# Sources: every .c under the module directories; main.c is the entry point.

CC      ?= cc
PKGS    := libpq sqlite3 libcurl zlib libprotobuf-c
OPT     ?= -O2 -g
WERROR  ?= -Werror
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) -Wall -Wextra $(WERROR) -I. -I$(BUILD)/gen \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EXTRA_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpg_query -lm $(EXTRA_LDFLAGS) $(LDFLAGS)

MODULES := common model predict corpus runner runner/trace store report cmd
SRCS    := $(wildcard $(addsuffix /*.c,$(MODULES)))
HDRS    := $(wildcard $(addsuffix /*.h,$(MODULES)))
TESTS   := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

BUILD   ?= build/release
OBJS    := $(SRCS:%.c=$(BUILD)/%.o)
# The version map (model/versions.tsv) as a header: VERSIONS_MIN/MAX/DEFAULT.
GENH    := $(BUILD)/gen/model/versions_gen.h

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all setup setup-docker demo test unit asan bench clean format fuzz fuzz-targets docker-images image \
        install uninstall
all: lockmatrix

lockmatrix: $(BUILD)/lockmatrix
	cp $< $@

$(BUILD)/lockmatrix: $(OBJS) $(BUILD)/main.o
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/%.o: %.c $(HDRS) $(GENH) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(GENH): model/versions.tsv scripts/versions_gen.awk
	@mkdir -p $(dir $@)
	awk -f scripts/versions_gen.awk model/versions.tsv >$@.tmp && mv -f $@.tmp $@

# The lock table is assembled into the binary (.incbin in predict/locktable.c).
$(BUILD)/predict/locktable.o: predict/locktable.tsv

$(BUILD)/tests/%: tests/unit/%.c tests/unit/t.h tests/unit/servers.h $(GENH) $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(OBJS) $(LDLIBS_ALL)

unit: $(addprefix $(BUILD)/tests/,$(TESTS)) $(BUILD)/lockmatrix

# The sanitizer build lives in build/asan (binary build/asan/lockmatrix).
asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g" EXTRA_CFLAGS="$(SAN_FLAGS)" EXTRA_LDFLAGS="$(SAN_FLAGS)" unit

# libFuzzer targets (clang): tests/fuzz/fuzz_<name>.c, built in build/fuzz with
# ASan+UBSan, each run FUZZ_SECONDS (60) by tests/fuzz/run.sh.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang OPT="-O1 -g" WERROR= \
	  EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_FLAGS)" EXTRA_LDFLAGS="$(FUZZ_FLAGS)" fuzz-targets
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-targets: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))

$(BUILD)/fuzz/%: tests/fuzz/%.c $(GENH) $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $< $(OBJS) $(LDLIBS_ALL)

# MINORS: minor releases fetched into the cache beside the default builds,
# by the one fetch of minor releases there is, "lockmatrix pg fetch".
MINORS ?=
setup:
	@scripts/setup.sh
	@if [ -n "$(MINORS)" ]; then $(MAKE) --no-print-directory lockmatrix >/dev/null && ./lockmatrix pg fetch $(MINORS); fi

# Local postgres:{major}-alpine images built from the PostgreSQL cache (no
# registry needed), for the docker backend.
docker-images: lockmatrix
	@scripts/docker-images.sh

# The lockmatrix image (the Dockerfile's layout) built from local parts
# through the Engine API: lockmatrix:local (LOCKMATRIX_IMAGE overrides).
image: lockmatrix
	@scripts/image.sh

demo: setup lockmatrix
	@scripts/demo.sh

# The docker engine and its local images: the docker tests skip (saying so)
# only when no engine can be started here.
setup-docker: lockmatrix
	@scripts/docker-setup.sh && scripts/docker-images.sh || echo "setup-docker: no Docker engine; the docker tests will say they skip"

test: setup lockmatrix
	$(MAKE) unit
	$(MAKE) asan
	@$(MAKE) --no-print-directory setup-docker
	@tests/run.sh

bench: setup lockmatrix
	@scripts/bench.sh

format:
	clang-format -i $(SRCS) $(HDRS) main.c tests/unit/*.c tests/unit/*.h

clean:
	rm -rf build lockmatrix

# Installation. The manual page gets its version from model/release.h, the one home
# of the version, and the supported majors from the version map.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
VERSION     := $(shell sed -n 's/^.define LOCKMATRIX_VERSION "\(.*\)"$$/\1/p' model/release.h)
PG_MIN      := $(shell awk '$$1 ~ /^[0-9]+$$/ { print $$1; exit }' model/versions.tsv)
PG_MAX      := $(shell awk '$$1 ~ /^[0-9]+$$/ { m = $$1 } END { print m }' model/versions.tsv)

install: lockmatrix
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1" \
	  "$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(ZSHCOMPDIR)"
	install -m 0755 lockmatrix "$(DESTDIR)$(BINDIR)/lockmatrix"
	sed -e 's/@VERSION@/$(VERSION)/g' -e 's/@VERSIONS_MAX@/$(PG_MAX)/g' \
	  -e 's/@VERSIONS_DEFAULT@/$(PG_MIN)\\-$(PG_MAX)/g' docs/lockmatrix.1 >"$(DESTDIR)$(MANDIR)/man1/lockmatrix.1.tmp"
	chmod 0644 "$(DESTDIR)$(MANDIR)/man1/lockmatrix.1.tmp"
	mv -f "$(DESTDIR)$(MANDIR)/man1/lockmatrix.1.tmp" "$(DESTDIR)$(MANDIR)/man1/lockmatrix.1"
	install -m 0644 completions/lockmatrix.bash "$(DESTDIR)$(BASHCOMPDIR)/lockmatrix"
	install -m 0644 completions/_lockmatrix "$(DESTDIR)$(ZSHCOMPDIR)/_lockmatrix"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/lockmatrix" "$(DESTDIR)$(MANDIR)/man1/lockmatrix.1" \
	  "$(DESTDIR)$(BASHCOMPDIR)/lockmatrix" "$(DESTDIR)$(ZSHCOMPDIR)/_lockmatrix"
