# t/fuzz/fuzz.mk -- builds the libFuzzer targets (GNU make; run by the top
# Makefile's fuzz-build, after the ASan nginx build):
#
#   make -f t/fuzz/fuzz.mk NGX_SRC=build/src/nginx-1.22.1 \
#        NGX_OBJS=build/asan/objs MODULE_DIR=. OUT=build/fuzz
#
# Each t/fuzz/fuzz_NAME.c becomes OUT/bin/NAME: the target, the module's
# sources compiled again with the ASan build's flags plus
# -fsanitize=fuzzer-no-link (coverage for libFuzzer), nginx.c with its
# main() renamed, and the ASan build's other nginx objects, linked with
# -fsanitize=fuzzer,address,undefined.  nginx's own objects carry ASan and
# UBSan but no coverage: the parsers under test are the module's.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

# V=1 shows the commands
Q := $(if $(filter 1,$(V)),,@)

FUZZ_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
MOD      := ngx_http_push_approval_module

ifeq ($(strip $(NGX_SRC)),)
$(error NGX_SRC is not set (run this through the top Makefile: make fuzz-build))
endif

.DEFAULT_GOAL := all

NGX_VARS := $(OUT)/ngx.mk
-include $(NGX_VARS)

$(NGX_VARS): $(NGX_OBJS)/Makefile $(FUZZ_DIR)/ngx-vars $(FUZZ_DIR)/fuzz.mk
	@mkdir -p $(@D)
	$(Q)$(FUZZ_DIR)/ngx-vars $(NGX_OBJS)/Makefile $(NGX_SRC) > $@.tmp
	$(Q)mv -f $@.tmp $@

MOD_SRCS := $(sort $(wildcard $(MODULE_DIR)/$(MOD)/*.c))
MOD_HDRS := $(sort $(wildcard $(MODULE_DIR)/$(MOD)/*.h))
MOD_OBJS := $(patsubst $(MODULE_DIR)/$(MOD)/%.c,$(OUT)/mod/%.o,$(MOD_SRCS))

TARGETS  := $(sort $(patsubst $(FUZZ_DIR)/fuzz_%.c,%,$(wildcard $(FUZZ_DIR)/fuzz_*.c)))
BINS     := $(addprefix $(OUT)/bin/,$(TARGETS))

FUZZ_CFLAGS = $(NGX_CFLAGS) -fsanitize=fuzzer-no-link

.PHONY: all list
all: $(BINS)

list:
	@echo $(TARGETS)

$(OUT)/mod/%.o: $(MODULE_DIR)/$(MOD)/%.c $(MOD_HDRS) $(NGX_VARS)
	@mkdir -p $(@D)
	@echo "  CC      $(notdir $@)"
	$(Q)$(NGX_CC) -c $(FUZZ_CFLAGS) $(NGX_INCS) -o $@ $<

# nginx.c from the source tree (relative path, like nginx's own build, so
# that the sanitizer ignorelist's src:src/* applies) with main renamed
$(OUT)/nginx-nomain.o: $(NGX_SRC)/src/core/nginx.c $(NGX_VARS)
	@mkdir -p $(@D)
	@echo "  CC      $(notdir $@)"
	$(Q)cd $(NGX_SRC) && $(NGX_CC) -c $(NGX_CFLAGS) -Dmain=ngx_pa_fuzz_nginx_main \
	    $(NGX_INCS) -o $(abspath $@) src/core/nginx.c

$(OUT)/obj/fuzz_%.o: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_DIR)/fuzz.h $(MOD_HDRS) $(NGX_VARS)
	@mkdir -p $(@D)
	@echo "  CC      $(notdir $@)"
	$(Q)$(NGX_CC) -c $(FUZZ_CFLAGS) $(NGX_INCS) -I$(FUZZ_DIR) -o $@ $<

$(OUT)/bin/%: $(OUT)/obj/fuzz_%.o $(MOD_OBJS) $(OUT)/nginx-nomain.o $(NGX_CORE_OBJS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(NGX_CC) -fsanitize=fuzzer,address,undefined -o $@.tmp $^ $(NGX_LIBS)
	$(Q)mv -f $@.tmp $@
