# hcode: one build for libhc, hc-keys, hc-issue, hc-verify and the tests.
# `make demo` and `make check` install missing Debian packages first.

MAKEFLAGS += --no-print-directory

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
# hc-issued's systemd unit and its user (systemd also reads /usr/local/lib).
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DESTDIR ?=

# Build directory; the sanitizer build lives in its own.
B ?= build
SAN ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libcrypto libqrencode zbar libcjson zlib libpng libjpeg libcurl libp11 libcbor
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) $(ISSUED_PKGS))
# zbar and libcurl are opened on first use (common/dl.c), never linked.
# libm for libhc's floor (common/json.c), which an optimised build inlines
# and an -O0 one calls.
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(filter-out zbar libcurl,$(PKGS))) -lm

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wnull-dereference -Wpointer-arith
ifeq ($(CI),true)
WARN += -Werror
endif
HC_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	$(WARN) $(CFLAGS) $(SAN) -Icommon $(PKG_CFLAGS) -MMD -MP
HC_LDFLAGS = $(SAN) -Wl,--as-needed $(LDFLAGS)

LIB_SRC := $(sort $(wildcard common/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
PROGS := $(B)/hc-keys $(B)/hc-issue $(B)/hc-verify $(B)/hc-verify-scan
# hc-verify scan --video, --camera and --ui window run hc-verify-scan-av:
# the scanner's objects built again with FFmpeg (libavdevice for V4L2
# cameras) and SDL2, when their pkg-config files are there (AV=0 builds
# without); hc-verify-scan itself links neither, so that --stdin and
# --frames do not load them.
AV_PKGS := libavdevice libavformat libavcodec libswscale libavutil sdl2 SDL2_ttf
AV ?= $(shell $(PKG_CONFIG) --exists $(AV_PKGS) 2>/dev/null && echo 1 || echo 0)
ifeq ($(AV),1)
PROGS += $(B)/hc-verify-scan-av
# SDL2 (the window) and libavdevice (--camera; it pulls in SDL2 too) are
# opened when needed (dlopen): their headers only here.
AV_LIBS = $(shell $(PKG_CONFIG) --libs $(filter-out libavdevice sdl2 SDL2_ttf,$(AV_PKGS)))
AV_CFLAGS = -DHC_AV $(shell $(PKG_CONFIG) --cflags $(AV_PKGS))
endif
# hc-issued (the office's service): every issuer/*.c but hc-issue's, with
# libmicrohttpd and SQLite on top of libhc.
ISSUED_PKGS := libmicrohttpd gnutls sqlite3
# hc-issue is issuer/hc-issue.c and issuer/hc-issue_*.c.
ISSUE_SRC := issuer/hc-issue.c $(sort $(wildcard issuer/hc-issue_*.c))
ISSUED_SRC := $(filter-out $(ISSUE_SRC),$(sort $(wildcard issuer/*.c)))
ISSUED_OBJ := $(ISSUED_SRC:%.c=$(B)/%.o)
ifneq ($(wildcard issuer/hc-issued.c),)
PROGS += $(B)/hc-issued
endif
# hc-verify batch --mpi: built with OpenMPI when its pkg-config file is
# there (MPI=0 builds without, as for a checkpoint device).
MPI ?= $(shell $(PKG_CONFIG) --exists ompi-c 2>/dev/null && echo 1 || echo 0)
ifeq ($(MPI),1)
PROGS += $(B)/hc-verify-mpi
endif
TEST_SRC := $(sort $(wildcard tests/unit/t_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(B)/t/%)

# Debian packages the build, the tests and the demo need.
DEB_PKGS := gcc make pkg-config openssl libssl-dev libqrencode-dev libzbar-dev \
	zbar-tools libcjson-dev zlib1g-dev libpng-dev libjpeg-dev \
	libcurl4-openssl-dev python3 libopenmpi-dev openmpi-bin \
	clang-tidy cppcheck valgrind strace \
	libmicrohttpd-dev libgnutls28-dev libsqlite3-dev sqlite3 chromium fonts-noto-cjk wrk \
	libp11-dev softhsm2 opensc nodejs \
	tmux ffmpeg libavformat-dev libavcodec-dev libswscale-dev libavutil-dev \
	libcbor-dev faketime \
	libavdevice-dev libsdl2-dev libsdl2-ttf-dev fonts-wqy-microhei xvfb xauth

.PHONY: all deps demo check test tests clean install uninstall banned fuzz bench lint memcheck soak
# Keep the objects that pattern-rule chains would delete as intermediate.
.SECONDARY:

all: $(PROGS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HC_CFLAGS) -c -o $@ $<

# --version prints the commit built: version.o is made again when it
# changes (the stamp is rewritten only then).
HC_GIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
$(B)/git-commit: FORCE
	@mkdir -p $(@D); echo '$(HC_GIT)' | cmp -s - $@ || echo '$(HC_GIT)' > $@
$(B)/common/version.o: $(B)/git-commit
$(B)/common/version.o: HC_CFLAGS += -DHC_GIT='"$(HC_GIT)"'
FORCE:

$(B)/libhc.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

KEYS_OBJ := $(patsubst %.c,$(B)/%.o,$(sort $(wildcard keys/*.c)))
$(B)/keys/%.o: HC_CFLAGS += -Ikeys
$(B)/hc-keys: $(KEYS_OBJ) $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS)
$(B)/hc-issue: $(ISSUE_SRC:%.c=$(B)/%.o) $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS)
ISSUED_LIBS = $(shell $(PKG_CONFIG) --libs $(ISSUED_PKGS)) -lpthread
$(B)/hc-issued: $(ISSUED_OBJ) $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS) $(ISSUED_LIBS)
# The counter page's files are assembled into page.o (.incbin, issuer/page.c).
$(B)/issuer/page.o: $(wildcard issuer/page/*)
ifeq ($(MPI),1)
MPI_CFLAGS = -DHC_MPI $(shell $(PKG_CONFIG) --cflags ompi-c)
MPI_LIBS = $(shell $(PKG_CONFIG) --libs ompi-c)
endif
# hc-verify itself is not linked with MPI (its libraries made every start
# slow): with MPI, batch --mpi runs hc-verify-mpi, the same objects with
# verifier/mpi.c built for MPI, from the same directory.
# hc-verify scan runs hc-verify-scan (verifier/scanner*.c; its decoders
# and screen stay out of hc-verify), from the same directory (verifier/scan.c).
SCAN_OBJ := $(patsubst %.c,$(B)/%.o,$(sort $(wildcard verifier/scanner*.c)))
VERIFY_OBJ := $(filter-out $(SCAN_OBJ),$(patsubst %.c,$(B)/%.o,$(sort $(wildcard verifier/*.c))))
$(B)/hc-verify-scan: $(SCAN_OBJ) $(B)/verifier/options.o $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS)
$(B)/av/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HC_CFLAGS) $(AV_CFLAGS) -c -o $@ $<
$(B)/hc-verify-scan-av: $(SCAN_OBJ:$(B)/%=$(B)/av/%) $(B)/verifier/options.o $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS) $(AV_LIBS)
$(B)/hc-verify: $(VERIFY_OBJ) $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS) -lpthread
ifeq ($(MPI),1)
$(B)/verifier/mpi.o: HC_CFLAGS += -DHC_MPI_EXEC
$(B)/verifier/mpi-real.o: verifier/mpi.c
	@mkdir -p $(@D)
	$(CC) $(HC_CFLAGS) $(MPI_CFLAGS) -c -o $@ $<
$(B)/hc-verify-mpi: $(filter-out $(B)/verifier/mpi.o,$(VERIFY_OBJ)) $(B)/verifier/mpi-real.o $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS) $(MPI_LIBS) -lpthread
endif

$(B)/t/%: $(B)/tests/unit/%.o $(B)/tests/unit/t.o $(B)/libhc.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS)
# t_dcc_adv makes its DCCs in dcc_adv_fx.c and frames them with the fuzz
# target's helper.
$(B)/t/t_dcc_adv: $(B)/tests/unit/t_dcc_adv.o $(B)/tests/unit/dcc_adv_fx.o $(B)/tests/fuzz/dcc_fx.o \
		$(B)/tests/unit/t.o $(B)/libhc.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS)
# The t_policy tests share their records, policies and checks (policy_fx.c).
POLICY_TESTS := $(B)/t/t_policy $(B)/t/t_policy_api $(B)/t/t_policy_bad $(B)/t/t_policy_risk
$(POLICY_TESTS): $(B)/t/%: $(B)/tests/unit/%.o $(B)/tests/unit/policy_fx.o $(B)/tests/unit/t.o \
		$(B)/libhc.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS)
# The t_image tests share their PNG helpers (image_fx.c).
IMAGE_TESTS := $(B)/t/t_image $(B)/t/t_image_render
$(IMAGE_TESTS): $(B)/t/%: $(B)/tests/unit/%.o $(B)/tests/unit/image_fx.o $(B)/tests/unit/t.o \
		$(B)/libhc.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS)
# t_held tests hc-issued's held-code answer cache.
$(B)/tests/unit/t_held.o: HC_CFLAGS += -Iissuer
$(B)/t/t_held: $(B)/issuer/held.o

# The t_registry tests run the SQLite registry
# (issuer/registry_sqlite*.c) on real files, with helpers in reg_fx.c.
REG_OBJ := $(patsubst %.c,$(B)/%.o,$(sort $(wildcard issuer/registry_sqlite*.c)))
REG_TESTS := $(B)/t/t_registry $(B)/t/t_registry_apply $(B)/t/t_registry_batch \
	$(B)/t/t_registry_load $(B)/t/t_registry_migrate $(B)/t/t_registry_wal \
	$(B)/t/t_registry_pcache $(B)/t/t_registry_census
$(REG_TESTS:$(B)/t/%=$(B)/tests/unit/%.o) $(B)/tests/unit/reg_fx.o: HC_CFLAGS += -Iissuer
$(REG_TESTS): $(B)/t/%: $(B)/tests/unit/%.o $(B)/tests/unit/reg_fx.o $(B)/tests/unit/t.o \
		$(REG_OBJ) $(B)/libhc.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS) $(ISSUED_LIBS)

$(B)/forge: $(B)/tests/tools/forge.o $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS)
$(B)/auditgen: $(B)/tests/tools/auditgen.o $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS)
$(B)/qrpng: $(B)/tests/tools/qrpng.o
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS)

# Fuzz targets: replayed over their committed corpora by `make check`
# (gcc, no libFuzzer needed); run for real with `make fuzz` (clang).
# FUZZ_OBJ_<target>: objects a target needs besides libhc.a.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(B)/replay/%)
FUZZ_OBJ_fuzz_verify := tests/fuzz/fixture.o
FUZZ_OBJ_fuzz_batch := tests/fuzz/fixture.o verifier/batch_record.o verifier/batch_parse.o \
	verifier/counts.o
FUZZ_OBJ_fuzz_ecverify := tests/fuzz/ectab_fx.o
FUZZ_OBJ_fuzz_dcc := tests/fuzz/dcc_fx.o
FUZZ_OBJ_fuzz_record := tests/fuzz/fixture.o tests/fuzz/issue_fx.o
FUZZ_OBJ_fuzz_risk := $(FUZZ_OBJ_fuzz_record)
FUZZ_OBJ_fuzz_policy := $(FUZZ_OBJ_fuzz_record)
FUZZ_OBJ_fuzz_sm2verify := $(FUZZ_OBJ_fuzz_ecverify)
# fuzz_regrow decodes a person's row blobs (issuer/registry_sqlite_row.c),
# linked with the registry and SQLite as the tests of the registry are.
FUZZ_OBJ_fuzz_regrow := $(patsubst %.c,%.o,$(sort $(wildcard issuer/registry_sqlite*.c)))
$(B)/tests/fuzz/fuzz_regrow.o: HC_CFLAGS += -Iissuer
$(B)/replay/fuzz_regrow $(B)/fuzzbin/fuzz_regrow: PKG_LIBS += $(ISSUED_LIBS)
# fuzz_events checks an events line (issuer/events_line.c), linked with
# the service's objects (its person key), as hc-issued is.
FUZZ_OBJ_fuzz_events := $(filter-out issuer/hc-issued.o,$(ISSUED_SRC:%.c=%.o))
$(B)/tests/fuzz/fuzz_events.o: HC_CFLAGS += -Iissuer
$(B)/replay/fuzz_events $(B)/fuzzbin/fuzz_events: PKG_LIBS += $(ISSUED_LIBS)
# fuzz_query checks a queried source's answer (issuer/query.c), linked
# the same way (query.c asks through the registry and libcurl).
FUZZ_OBJ_fuzz_query := $(FUZZ_OBJ_fuzz_events)
$(B)/tests/fuzz/fuzz_query.o: HC_CFLAGS += -Iissuer
$(B)/replay/fuzz_query $(B)/fuzzbin/fuzz_query: PKG_LIBS += $(ISSUED_LIBS)
$(foreach t,$(FUZZ_NAMES),$(eval $(B)/replay/$(t) $(B)/fuzzbin/$(t): $(FUZZ_OBJ_$(t):%=$(B)/%)))
$(B)/replay/%: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/replay.o $(B)/libhc.a
	@mkdir -p $(@D)
	$(CC) -o $@ $(filter %.o,$^) $(B)/libhc.a $(HC_LDFLAGS) $(PKG_LIBS)
# libFuzzer binaries (make fuzz builds them with B=build-fuzz CC=clang).
$(B)/fuzzbin/%: $(B)/tests/fuzz/%.o $(B)/libhc.a
	@mkdir -p $(@D)
	$(CC) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(B)/libhc.a $(HC_LDFLAGS) $(PKG_LIBS)

BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(B)/%)
$(B)/bench_%: $(B)/tests/bench/bench_%.o $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS) -lpthread
# bench_batch's harness (the runner, machine load, openssl speed) is batch_fx.c.
$(B)/bench_batch: $(B)/tests/bench/bench_batch.o $(B)/tests/bench/batch_fx.o $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS) -lpthread
# bench_registry runs the SQLite registry alone.
$(B)/tests/bench/bench_registry.o: HC_CFLAGS += -Iissuer
$(B)/bench_registry: $(B)/tests/bench/bench_registry.o $(REG_OBJ) $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS) $(ISSUED_LIBS)
# bench_census times reg_stats with many codes (the registry alone too).
$(B)/tests/bench/bench_census.o: HC_CFLAGS += -Iissuer
$(B)/bench_census: $(B)/tests/bench/bench_census.o $(REG_OBJ) $(B)/libhc.a
	$(CC) -o $@ $^ $(HC_LDFLAGS) $(PKG_LIBS) $(ISSUED_LIBS)

# Benchmarks: each figure next to its limit from the same run, as a ratio;
# then hc-issued under wrk (tests/bench/service.sh; BENCH_PEOPLE=1000000
# for a registry of 10^6 people, default 20000).
bench: deps
	@$(MAKE) all $(BENCH_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b $(B) || exit 1; done
	@bash tests/bench/service.sh $(B)
	@bash tests/bench/sm2.sh $(B)
	@bash tests/bench/riskfeed.sh $(B)
	@bash tests/bench/events.sh $(B)
	@bash tests/bench/zxing.sh $(B)

# hc-issued for SOAK_SECONDS (default 600) under a modest mixed load, its
# memory, fds, threads, CPU a request, /metrics and revocation-list times
# sampled (tests/soak.sh); fails when memory or fds keep growing.
soak: deps
	@$(MAKE) all
	@bash tests/soak.sh $(B)

tests: $(PROGS) $(TEST_BIN) $(B)/forge $(B)/auditgen $(B)/qrpng $(FUZZ_REPLAY)

FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# Each target runs FUZZ_TIME seconds on build-fuzz/corpus/NAME (new inputs)
# and tests/fuzz/corpus/NAME (read only), with tests/fuzz/dict/NAME.dict
# when there is one; its log is build-fuzz/NAME.log, crash inputs go to
# build-fuzz/artifacts/. One line per target: executions, edges (cov),
# features (ft). Exit 1 if any target found something. Objects are rebuilt
# when FUZZ_CC or FUZZ_FLAGS change (build-fuzz/.flags).
fuzz: deps
	@command -v $(FUZZ_CC) >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq clang libclang-rt-14-dev >/dev/null; }
	@f="$(FUZZ_CC) $(FUZZ_FLAGS)"; [ "$$(cat build-fuzz/.flags 2>/dev/null)" = "$$f" ] || { \
	  rm -rf build-fuzz/common build-fuzz/verifier build-fuzz/tests build-fuzz/libhc.a build-fuzz/fuzzbin; \
	  mkdir -p build-fuzz && echo "$$f" > build-fuzz/.flags; }
	@$(MAKE) B=build-fuzz CC=$(FUZZ_CC) SAN="$(FUZZ_FLAGS)" CFLAGS="-O1 -g" \
	  $(FUZZ_NAMES:%=build-fuzz/fuzzbin/%)
	@mkdir -p build-fuzz/artifacts; found=0; for t in $(FUZZ_NAMES); do \
	  c=$${t#fuzz_}; mkdir -p build-fuzz/corpus/$$c; log=build-fuzz/$$c.log; \
	  d=; [ -f tests/fuzz/dict/$$c.dict ] && d=-dict=tests/fuzz/dict/$$c.dict; \
	  echo "== $$t for $(FUZZ_TIME) s $${d:+with $$d }(log $$log)"; \
	  build-fuzz/fuzzbin/$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 $$d \
	    -artifact_prefix=build-fuzz/artifacts/$$c- build-fuzz/corpus/$$c tests/fuzz/corpus/$$c \
	    > $$log 2>&1; rc=$$?; \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	  last=$$(grep -E '^#[0-9]+.*cov: ' $$log | tail -n 1); \
	  cov=$$(echo "$$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p'); \
	  ft=$$(echo "$$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p'); \
	  corp=$$(echo "$$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p'); \
	  echo "$$t: execs $${execs:-?} cov $${cov:-?} ft $${ft:-?} corpus $${corp:-?} exit $$rc"; \
	  if [ $$rc -ne 0 ]; then found=1; grep -E 'ERROR|SUMMARY|check failed|artifact' $$log | head -n 8; fi; \
	done; exit $$found

# Install what is missing (root: apt-get; otherwise sudo when present).
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

demo: deps
	@$(MAKE) all
	@sh examples/demo.sh $(B)

test: tests
	@sh tests/run.sh $(B)

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The third build: hc-verify batch under ThreadSanitizer (tests/tsan.sh).
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
# Unsafe string and number functions are banned from the sources.
BANNED := \b(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|sscanf)[[:space:]]*\(
banned:
	@if grep -nE '$(BANNED)' common/*.[ch] keys/*.c issuer/*.c verifier/*.[ch] \
	  tests/unit/*.[ch] tests/tools/*.c tests/bench/*.c tests/fuzz/*.[ch]; then \
	  echo "banned functions found (see STYLE: use snprintf, memcpy, strtol)"; exit 1; fi

# Static analysis (doc/HACKING.md): clang-tidy and cppcheck over every C
# source with the build's flags (HC_MPI as the build has it); any finding fails.
LINT_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Icommon -Iverifier -Iissuer -Ikeys \
	-Itests/unit $(PKG_CFLAGS) $(MPI_CFLAGS) $(AV_CFLAGS)
lint: deps
	@LINT_CFLAGS="$(LINT_CFLAGS)" sh tests/lint.sh

# The builds use every core (a -j given to make wins).
JOBS := $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 2))
# make lint is CI's own step (.ci/run), not part of check: run alongside
# the suites it slowed the ASan suite, which sets the time of make check,
# as much as it took on its own (about 90 s of a 15-minute budget).
check: deps banned
	@$(MAKE) $(JOBS) tests
	@$(MAKE) $(JOBS) B=build-asan SAN="$(SAN_FLAGS)" CFLAGS="-O1 -g" tests
	@$(MAKE) $(JOBS) B=build-tsan SAN="$(TSAN_FLAGS)" CFLAGS="-O1 -g" build-tsan/hc-verify
	@sh tests/check.sh --tsan build-tsan $(B) build-asan

# The whole suite once under valgrind memcheck (tests/memcheck.sh): no
# error and no definitely or indirectly lost block. Two runs share the
# suite, one a core (HC_MEMCHECK_SERIAL=1: one run); still too long for
# check, so .ci/run runs it after check.
# MEMCHECK_EXCLUDE="NAME..." leaves scripts out (counted as skipped): CI
# leaves out four for time (.ci/run; why in doc/HACKING.md).
MEMCHECK_EXCLUDE ?=
memcheck: deps
	@$(MAKE) tests
	@HC_TEST_EXCLUDE="$(MEMCHECK_EXCLUDE)" sh tests/memcheck.sh $(B) build-vg

# The programs in BINDIR, the service hc-issued (when built) in SBINDIR with
# its man page in section 8, its unit (ExecStart rewritten to SBINDIR) and
# its sysusers.d file for the user hcode.
USER_PROGS := hc-keys hc-issue hc-verify
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(USER_PROGS:%=$(B)/%) $(B)/hc-verify-scan $(DESTDIR)$(BINDIR)/
ifeq ($(AV),1)
	install -m 0755 $(B)/hc-verify-scan-av $(DESTDIR)$(BINDIR)/
endif
ifeq ($(MPI),1)
	install -m 0755 $(B)/hc-verify-mpi $(DESTDIR)$(BINDIR)/
endif
	install -m 0644 $(USER_PROGS:%=doc/%.1) $(DESTDIR)$(MANDIR)/man1/
ifneq ($(filter $(B)/hc-issued,$(PROGS)),)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(B)/hc-issued $(DESTDIR)$(SBINDIR)/
	install -m 0644 doc/hc-issued.8 $(DESTDIR)$(MANDIR)/man8/
	sed 's|/usr/local/sbin/hc-issued|$(SBINDIR)/hc-issued|' issuer/hc-issued.service \
	  > $(DESTDIR)$(UNITDIR)/hc-issued.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/hc-issued.service
	install -m 0644 issuer/hc-issued.sysusers $(DESTDIR)$(SYSUSERSDIR)/hcode.conf
endif

uninstall:
	rm -f $(USER_PROGS:%=$(DESTDIR)$(BINDIR)/%) $(DESTDIR)$(BINDIR)/hc-verify-mpi \
	  $(DESTDIR)$(BINDIR)/hc-verify-scan $(DESTDIR)$(BINDIR)/hc-verify-scan-av $(USER_PROGS:%=$(DESTDIR)$(MANDIR)/man1/%.1)
	rm -f $(DESTDIR)$(SBINDIR)/hc-issued $(DESTDIR)$(MANDIR)/man8/hc-issued.8 \
	  $(DESTDIR)$(UNITDIR)/hc-issued.service $(DESTDIR)$(SYSUSERSDIR)/hcode.conf

clean:
	rm -rf build build-asan build-tsan build-fuzz build-vg

-include $(shell find $(B) -name '*.d' 2>/dev/null)
