# lockmatrix: build, test, demo, bench.
#
#   make            build ./lockmatrix
#   make setup      install what it needs (Debian packages, the cache of every
#                   PostgreSQL major of model/versions.tsv); MINORS="17.9 17.10"
#                   also fetches those minor releases
#   make demo       setup, build, trace fixtures/cases on every major, print the report
#   make unit       build the unit tests (build/release/tests) and check the
#                   registry of modules and their unit tests (tests/unit/modules.tsv)
#   make check      the fast tier, no PostgreSQL server and no Docker engine: the
#                   format check, the registry, the unit tests and the integration
#                   tests that need neither (tests/run.sh check; "tests/run.sh list-check" names them)
#   make test       setup, the format check, build (plain and ASan+UBSan), run every
#                   unit and integration test
#   make coverage   a gcov build (build/coverage) of the unit tests that need no
#                   server (COVERAGE_SERVERS=1: every unit test), then line
#                   coverage per source file
#   make format-check  clang-format --dry-run --Werror (.clang-format) over the
#                   product and unit-test sources; changes nothing (make format
#                   rewrites them)
#   make bench      print the benchmark figures
#   make install    the binary, its manual page and bash/zsh completions
#                   (PREFIX, default /usr/local; DESTDIR for staging)
#   make uninstall  remove what make install put there
#
# Sources: every .c under the MODULES directories (a new directory needs only
# its name added there) is built into $(BUILD)/liblockmatrix.a; main.c is the
# entry point. The binary, the unit tests and the fuzz targets link against
# the library, so each takes only the objects it uses. Every object depends
# on the headers it includes (-MMD -MP: $(BUILD)/**/*.d).

CC      ?= cc
PKGS    := libpq sqlite3 libcurl zlib libprotobuf-c
OPT     ?= -O2 -g
WERROR  ?= -Werror
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) -Wall -Wextra $(WERROR) -I. -I$(BUILD)/gen \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EXTRA_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpg_query -lm $(EXTRA_LDFLAGS) $(LDFLAGS)

MODULES := common model predict corpus corpus/layouts runner runner/trace store report cmd
SRCS    := $(wildcard $(addsuffix /*.c,$(MODULES)))
HDRS    := $(wildcard $(addsuffix /*.h,$(MODULES)))
TESTS   := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

BUILD   ?= build/release
OBJS    := $(SRCS:%.c=$(BUILD)/%.o)
# Every product object but main.o; the binary, the unit tests and the fuzz
# targets link against it and take only the members they use.
LIB     := $(BUILD)/liblockmatrix.a
# The version map (model/versions.tsv) as a header: VERSIONS_MIN/MAX/DEFAULT.
GENH    := $(BUILD)/gen/model/versions_gen.h
# -MMD -MP: each compile writes beside its output a .d file listing the
# headers it read (and a phony rule per header, so that a removed header
# does not stop the build); they are included at the end of this file.
DEPFLAGS = -MMD -MP -MF $@.d -MT $@

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all setup setup-docker demo test unit check registry-check coverage format format-check \
        asan bench clean fuzz fuzz-targets docker-images image install uninstall
all: lockmatrix

# Replaced by rename, so that a ./lockmatrix still running (a test) is no obstacle.
lockmatrix: $(BUILD)/lockmatrix
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/lockmatrix: $(BUILD)/main.o $(LIB)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

# Rebuilt from scratch, and also when its list of members changes: a source
# removed must not linger in the archive. The list is rewritten (only when it
# changed) as the Makefile is read, so that make -q stays exact.
LIB_MEMBERS := $(LIB:.a=.members)
$(shell mkdir -p $(BUILD) && { echo '$(OBJS)' | cmp -s - $(LIB_MEMBERS) || echo '$(OBJS)' >$(LIB_MEMBERS); })
$(LIB): $(OBJS) $(LIB_MEMBERS)
	@rm -f $@
	$(AR) rcs $@ $(OBJS)

# The generated header first (order-only): after the first build, the .d
# files say which objects read it.
$(BUILD)/%.o: %.c Makefile | $(GENH)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPFLAGS) -c -o $@ $<

$(GENH): model/versions.tsv scripts/versions_gen.awk
	@mkdir -p $(dir $@)
	awk -f scripts/versions_gen.awk model/versions.tsv >$@.tmp && mv -f $@.tmp $@

# The lock table is assembled into the binary (.incbin in predict/locktable.c).
$(BUILD)/predict/locktable.o: predict/locktable.tsv
# So are PostgreSQL's per-version facts (.incbin in predict/facts.c).
$(BUILD)/predict/facts.o: predict/facts.tsv

$(BUILD)/tests/%: tests/unit/%.c $(LIB) Makefile | $(GENH)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPFLAGS) -o $@ $< $(LIB) $(LDLIBS_ALL)

unit: $(addprefix $(BUILD)/tests/,$(TESTS)) $(BUILD)/lockmatrix registry-check

# Every product source has a row of tests/unit/modules.tsv, and every test named there exists.
registry-check:
	@tests/run.sh registry

# The fast tier: no PostgreSQL server, no Docker engine; the release build only.
check: lockmatrix $(addprefix $(BUILD)/tests/,$(TESTS)) format-check
	@tests/run.sh check

# Line coverage per source file of the unit tests (gcov, build/coverage).
coverage:
	$(MAKE) BUILD=build/coverage OPT="-O0 -g" WERROR= EXTRA_CFLAGS=--coverage EXTRA_LDFLAGS=--coverage unit
	@scripts/coverage.sh build/coverage $(SRCS)

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

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB) Makefile | $(GENH)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(DEPFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS_ALL)

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
	@$(MAKE) --no-print-directory format-check
	$(MAKE) unit
	$(MAKE) asan
	@$(MAKE) --no-print-directory setup-docker
	@tests/run.sh

bench: setup lockmatrix
	@scripts/bench.sh

# The layout .clang-format gives: format rewrites the sources, format-check
# only says which would change (and fails when one would).
FORMAT_SRCS = $(SRCS) $(HDRS) main.c $(wildcard tests/unit/*.c tests/unit/*.h)
format:
	clang-format -i $(FORMAT_SRCS)

# The sources as .clang-format lays them out (make test and make check run it).
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "ok - format: $(words $(FORMAT_SRCS)) files as .clang-format lays them out"

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

# What each object, unit test and fuzz target was built from (see DEPFLAGS).
-include $(wildcard $(OBJS:=.d) $(BUILD)/main.o.d $(BUILD)/tests/*.d $(BUILD)/fuzz/*.d)
