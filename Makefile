# ngx_http_push_approval_module -- build and test (GNU make).
#
#   make / make all   dynamic module for Debian's /usr/sbin/nginx (1.22.1):
#                     build/ngx_http_push_approval_module.so
#   make nginx-1.26   nginx 1.26.3 (pristine Debian orig tarball) + module:
#                     build/nginx-1.26.3/nginx
#                     build/nginx-1.26.3/ngx_http_push_approval_module.so
#   make test         both, then the suite against each (t/run);
#                     make test T="t/010-foo.t t/020-bar.t" runs a subset
#   make test-1.22 / make test-1.26   one nginx only
#   make nginx-asan   nginx 1.22.1 (Debian's orig tarball, Debian's configure
#                     flags without the paths) built by clang with ASan and
#                     UBSan, the module compiled in: build/asan/nginx
#   make test-asan    the suite against build/asan/nginx (t/run --only=asan);
#                     T="..." runs a subset
#   make fuzz-build   the libFuzzer targets t/fuzz/fuzz_*.c: build/fuzz/bin/*
#   make fuzz         build them and run each for FUZZ_SECONDS (60) seconds,
#                     FUZZ_JOBS (2) at a time, from the seeds in
#                     t/fuzz/corpus/; FUZZ_TARGETS="cookie form" runs some;
#                     reproducers of failures go to t/fuzz/crashes/
#   make check-load   load each .so into its nginx with `nginx -t`
#   make deps         install what the build and the tests need (root)
#   make demo         tools/demo
#   make bench        deps and the module, then bench/run: the benchmarks of
#                     docs/benchmarks.md (issue 4, figures 1 and 2);
#                     BENCH_ARGS="-r 7 static" passes options and figures;
#                     then BENCH_MORE (default "run-redis held resume ship
#                     steady steady-z": figure 1 with Redis, figures 3 to 6);
#                     BENCH_MORE="held" runs one, BENCH_MORE= none
#   make clean        rm -rf build
#
# All output goes under build/. Warnings are errors: nginx's own auto/cc/gcc
# adds -Werror (with -W -Wall -Wpointer-arith -Wno-unused-parameter) to the
# whole build, our sources included -- as long as CFLAGS is not set in the
# environment, which would make configure drop its own flags; the recipes
# below therefore unset it. Extra flags: make NGX_CC_OPT='-O0 -fsanitize=...'.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:

ROOT       := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
# The addon directory (holds `config`); another tree can be built with
# make MODULE_DIR=/path (handy for testing this Makefile).
MODULE_DIR ?= $(ROOT)
BUILD      ?= $(ROOT)/build
MOD        := ngx_http_push_approval_module
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
T          ?=

SRCS = $(sort $(wildcard $(MODULE_DIR)/$(MOD)/*.c))
HDRS = $(sort $(wildcard $(MODULE_DIR)/$(MOD)/*.h))

# Optional extra compiler flags for our build (e.g. sanitizers).
NGX_CC_OPT ?=
cc_opt = $(if $(strip $(NGX_CC_OPT)),--with-cc-opt='$(NGX_CC_OPT)')

# -jN for a sub-make, unless we already run under a jobserver.
sub_jobs = $(if $(filter -j% --jobserver%,$(MAKEFLAGS)),,-j$(JOBS))

# configure's output goes to a log; its tail is shown when it fails.
# $(call configure_failed,LOG)
configure_failed = { tail -n 40 $(1); echo "configure failed, see $(1)"; exit 1; }

.PHONY: all nginx-1.26 nginx-asan test test-1.22 test-1.26 test-asan \
	fuzz-build fuzz check-load deps demo clean

all: $(BUILD)/$(MOD).so $(BUILD)/push-approval-audit

# --- the list of module files: configure runs again when it changes -------
# (with the module directory and NGX_CC_OPT, which need configure too).
# The recipe always runs but rewrites the file only when the list differs,
# so its mtime moves (and configure runs) only then.
FILELIST := $(BUILD)/module-files
$(FILELIST): FORCE
	@mkdir -p $(@D)
	@{ echo "$(MODULE_DIR)"; echo 'cc-opt: $(NGX_CC_OPT)'; printf '%s\n' $(notdir $(SRCS) $(HDRS)) | LC_ALL=C sort; } > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

FORCE:

# --- dynamic module for Debian's nginx ---------------------------------------
DEB_SRC := /usr/share/nginx/src
DEB_VER := 1.22.1
DEB_DIR := $(BUILD)/debian-$(DEB_VER)

$(DEB_DIR)/configure:
	@test -f $(DEB_SRC)/conf_flags || { echo "$(DEB_SRC)/conf_flags missing: install nginx-dev (make deps)"; exit 1; }
	@v=$$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' $(DEB_SRC)/src/core/nginx.h); \
	  [ "$$v" = "$(DEB_VER)" ] || { echo "nginx-dev is $$v, expected $(DEB_VER)"; exit 1; }
	rm -rf $(DEB_DIR) $(DEB_DIR).tmp
	mkdir -p $(BUILD)
	cp -a $(DEB_SRC) $(DEB_DIR).tmp
	mv $(DEB_DIR).tmp $(DEB_DIR)

$(DEB_DIR)/objs/Makefile: $(DEB_DIR)/configure $(FILELIST) $(MODULE_DIR)/config
	@echo "configure nginx $(DEB_VER) (Debian's flags) --add-dynamic-module=$(MODULE_DIR)"
	cd $(DEB_DIR) && unset CFLAGS CPPFLAGS LDFLAGS && source ./conf_flags && \
	  ./configure "$${NGX_CONF_FLAGS[@]}" $(cc_opt) --add-dynamic-module=$(MODULE_DIR) \
	    > $(BUILD)/configure-debian-$(DEB_VER).log 2>&1 || \
	  $(call configure_failed,$(BUILD)/configure-debian-$(DEB_VER).log)
	touch $@

$(BUILD)/$(MOD).so: $(DEB_DIR)/objs/Makefile $(SRCS) $(HDRS)
	$(MAKE) -C $(DEB_DIR) -f objs/Makefile modules
	cp -f $(DEB_DIR)/objs/$(MOD).so $@.tmp && mv -f $@.tmp $@

# --- nginx 1.26.3 with the module ---------------------------------------------
N126_VER   := 1.26.3
N126_SRC   := $(BUILD)/src/nginx-$(N126_VER)
N126_OUT   := $(BUILD)/nginx-$(N126_VER)
N126_FLAGS := --with-compat --with-debug --with-threads \
	--with-http_ssl_module --with-http_realip_module \
	--with-http_auth_request_module --with-http_v2_module \
	--with-http_stub_status_module --with-http_slice_module \
	--with-http_dav_module --with-pcre-jit \
	--prefix=$(N126_OUT)

nginx-1.26: $(N126_OUT)/.built

$(N126_SRC)/configure:
	$(ROOT)/tools/nginx-src $(N126_VER) $(BUILD)/src

$(N126_SRC)/objs/Makefile: $(N126_SRC)/configure $(FILELIST) $(MODULE_DIR)/config
	@echo "configure nginx $(N126_VER) --add-dynamic-module=$(MODULE_DIR)"
	cd $(N126_SRC) && unset CFLAGS CPPFLAGS LDFLAGS && \
	  ./configure $(N126_FLAGS) $(cc_opt) --add-dynamic-module=$(MODULE_DIR) \
	    > $(BUILD)/configure-$(N126_VER).log 2>&1 || \
	  $(call configure_failed,$(BUILD)/configure-$(N126_VER).log)
	touch $@

$(N126_OUT)/.built: $(N126_SRC)/objs/Makefile $(SRCS) $(HDRS)
	$(MAKE) -C $(N126_SRC) -f objs/Makefile $(sub_jobs)
	mkdir -p $(N126_OUT)/logs $(N126_OUT)/conf
	cp -f $(N126_SRC)/objs/nginx $(N126_OUT)/nginx.tmp
	mv -f $(N126_OUT)/nginx.tmp $(N126_OUT)/nginx
	cp -f $(N126_SRC)/objs/$(MOD).so $(N126_OUT)/$(MOD).so.tmp
	mv -f $(N126_OUT)/$(MOD).so.tmp $(N126_OUT)/$(MOD).so
	touch $@

# --- nginx 1.22.1 with ASan + UBSan, the module compiled in --------------------
# clang, so that the fuzz targets (below) can link its objects. nginx's pool
# allocator is made to malloc every allocation (NGX_DEBUG_PALLOC), so that
# ASan sees an overflow of any pool allocation. UBSan checks that fire on
# nginx's own idioms are switched off for nginx's sources only, see
# t/fuzz/sanitizer-ignorelist.txt. The runtime options (leak suppressions,
# stack traces) are set by t/run --only=asan.
ASAN_VER    := 1.22.1
ASAN_SRC    := $(BUILD)/src/nginx-$(ASAN_VER)
ASAN_OUT    := $(BUILD)/asan
ASAN_OBJS   := $(ASAN_OUT)/objs
ASAN_CC     ?= clang
SAN_IGNORE  := $(ROOT)/t/fuzz/sanitizer-ignorelist.txt
ASAN_CC_OPT := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all -fsanitize-ignorelist=$(SAN_IGNORE) \
	-O1 -g -DNGX_DEBUG_PALLOC=1
ASAN_LD_OPT := -fsanitize=address,undefined
# Debian's flags (nginx-dev's conf_flags) without --prefix and the *-path
# ones, which point at /etc, /var and /run
ASAN_DEB_FLAGS = source $(DEB_SRC)/conf_flags && asan_flags=() && \
	for f in "$${NGX_CONF_FLAGS[@]}"; do \
	  case $$f in --prefix=*|--*-path=*) ;; *) asan_flags+=("$$f") ;; esac; \
	done

nginx-asan: $(ASAN_OUT)/nginx

$(ASAN_SRC)/configure:
	$(ROOT)/tools/nginx-src $(ASAN_VER) $(BUILD)/src

# configure runs again when these change (same scheme as FILELIST)
ASAN_STAMP := $(ASAN_OUT)/configure-flags
$(ASAN_STAMP): FORCE
	@mkdir -p $(@D)
	@{ echo 'cc: $(ASAN_CC)'; echo 'cc-opt: $(ASAN_CC_OPT)'; echo 'ld-opt: $(ASAN_LD_OPT)'; \
	   cat $(DEB_SRC)/conf_flags 2>/dev/null; } > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(ASAN_OBJS)/Makefile: $(ASAN_SRC)/configure $(ASAN_STAMP) $(FILELIST) $(MODULE_DIR)/config $(SAN_IGNORE)
	@test -f $(DEB_SRC)/conf_flags || { echo "$(DEB_SRC)/conf_flags missing: install nginx-dev (make deps)"; exit 1; }
	@echo "configure nginx $(ASAN_VER) (ASan + UBSan, $(ASAN_CC)) --add-module=$(MODULE_DIR)"
	cd $(ASAN_SRC) && unset CFLAGS CPPFLAGS LDFLAGS && $(ASAN_DEB_FLAGS) && \
	  ./configure --with-cc=$(ASAN_CC) --builddir=$(ASAN_OBJS) --prefix=$(ASAN_OUT) \
	    "$${asan_flags[@]}" --with-cc-opt='$(ASAN_CC_OPT)' --with-ld-opt='$(ASAN_LD_OPT)' \
	    --add-module=$(MODULE_DIR) \
	    > $(BUILD)/configure-asan-$(ASAN_VER).log 2>&1 || \
	  $(call configure_failed,$(BUILD)/configure-asan-$(ASAN_VER).log)
	touch $@

$(ASAN_OUT)/nginx: $(ASAN_OBJS)/Makefile $(SRCS) $(HDRS)
	$(MAKE) -C $(ASAN_SRC) -f $(ASAN_OBJS)/Makefile $(sub_jobs) binary
	mkdir -p $(ASAN_OUT)/logs
	cp -f $(ASAN_OBJS)/nginx $@.tmp && mv -f $@.tmp $@

# --- libFuzzer targets (t/fuzz/, built by t/fuzz/fuzz.mk) ----------------------
FUZZ_OUT     := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_TARGETS ?=

fuzz-build: nginx-asan
	$(MAKE) -f $(ROOT)/t/fuzz/fuzz.mk $(sub_jobs) NGX_SRC=$(ASAN_SRC) \
	  NGX_OBJS=$(ASAN_OBJS) MODULE_DIR=$(MODULE_DIR) OUT=$(FUZZ_OUT)

fuzz: fuzz-build
	$(ROOT)/t/fuzz/run -j $(FUZZ_JOBS) -t $(FUZZ_SECONDS) $(FUZZ_OUT) $(FUZZ_TARGETS)

# --- tests ---------------------------------------------------------------------
export PA_BUILD_DIR := $(BUILD)

test: deps all nginx-1.26
	$(ROOT)/t/run $(T)

test-1.22: all
	$(ROOT)/t/run --only=1.22 $(T)

test-1.26: nginx-1.26
	$(ROOT)/t/run --only=1.26 $(T)

test-asan: nginx-asan
	$(ROOT)/t/run --only=asan $(T)

# Does each module load into its nginx? (`nginx -t` with load_module.)
check-load: all nginx-1.26
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; mkdir -p $$d/logs; \
	for pair in /usr/sbin/nginx:$(BUILD)/$(MOD).so \
	            $(N126_OUT)/nginx:$(N126_OUT)/$(MOD).so; do \
	  bin=$${pair%%:*}; so=$${pair#*:}; \
	  printf 'load_module %s;\nerror_log %s/logs/error.log;\npid %s/logs/nginx.pid;\nevents {}\nhttp { access_log off; }\n' \
	    "$$so" "$$d" "$$d" > $$d/nginx.conf; \
	  echo "== $$bin + $$so"; $$bin -t -p $$d -c $$d/nginx.conf -e $$d/logs/error.log; \
	done

# --- dependencies --------------------------------------------------------------
# Debian packages (bookworm). nodejs/npm only when node or npm is not on PATH:
# the machine image has Node.js from elsewhere, which Debian's would fight.
DEB_PKGS := build-essential nginx nginx-dev libssl-dev libhiredis-dev \
	libcjson-dev libpcre2-dev zlib1g-dev redis-server curl perl chromium \
	ca-certificates xz-utils clang libclang-rt-14-dev
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

deps:
	@pkgs="$(DEB_PKGS)"; \
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  pkgs="$$pkgs nodejs npm"; fi; \
	missing=; \
	for p in $$pkgs; do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -qx 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then \
	  echo "deps: Debian packages present"; \
	else \
	  echo "deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get update -q; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@if [ -f $(ROOT)/t/browser/package.json ]; then \
	  cd $(ROOT)/t/browser; \
	  stamp=node_modules/.pa-deps-installed; \
	  if [ -f $$stamp ] && [ $$stamp -nt package.json ] && \
	     { [ ! -f package-lock.json ] || [ $$stamp -nt package-lock.json ]; }; then \
	    echo "deps: t/browser/node_modules up to date"; \
	  else \
	    echo "deps: npm install in t/browser"; \
	    npm install --no-audit --no-fund; \
	    mkdir -p node_modules && touch $$stamp; \
	  fi; \
	fi

demo: deps all
	$(ROOT)/tools/demo

# --- benchmarks (bench/run; output under $(BUILD)/bench/) ---------------------
# BENCH_MORE: the scripts for figure 1 with Redis and figures 3 to 6, run
# after bench/run (each with its defaults); BENCH_MORE= runs bench/run
# alone. Every script runs even when one before it missed a target; the
# exit status is 1 if any did.
BENCH_ARGS ?=
BENCH_MORE ?= run-redis held resume ship ship-idle steady steady-z
.PHONY: bench
bench: deps all $(BUILD)/bench/pa-client
	@rc=0; \
	$(ROOT)/bench/run $(BENCH_ARGS) || rc=1; \
	for s in $(BENCH_MORE); do \
	  case $$s in \
	    run-redis) cmd="$(ROOT)/bench/run redis" ;; \
	    steady-z) cmd="$(ROOT)/bench/steady -z" ;; \
	    ship-idle) cmd="$(ROOT)/bench/ship -i latency" ;; \
	    *) cmd=$(ROOT)/bench/$$s ;; \
	  esac; \
	  echo "== $$cmd"; $$cmd || rc=1; \
	done; \
	exit $$rc

# the benchmarks' own client (bench/pa-client.c): holds thousands of
# requests open, times resumes, sends at a constant rate
$(BUILD)/bench/pa-client: $(ROOT)/bench/pa-client.c
	@mkdir -p $(@D)
	cc -O2 -g -Wall -Wextra -Werror -o $@.tmp $< && mv -f $@.tmp $@

clean:
	rm -rf $(BUILD)

include $(ROOT)/tools/audit.mk
