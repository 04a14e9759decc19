# push-approval-audit, the auditor's tool (tools/audit/*.c), built into
# $(BUILD)/push-approval-audit.  Included by the Makefile; needs
# libcjson-dev, libhiredis-dev and libssl-dev (make deps).
#
#   make audit-tool          the tool (`make all` builds it too)
#   make test-audit          build it, then prove t/120-audit-cli.t
#   make audit-tool AUDIT_CFLAGS='-O1 -g -fsanitize=address,undefined'

AUDIT_DIR    := $(ROOT)/tools/audit
AUDIT_OBJDIR := $(BUILD)/audit
AUDIT_BIN    := $(BUILD)/push-approval-audit
AUDIT_SRCS   := $(sort $(wildcard $(AUDIT_DIR)/*.c))
AUDIT_HDRS   := $(wildcard $(AUDIT_DIR)/*.h)
AUDIT_OBJS   := $(patsubst $(AUDIT_DIR)/%.c,$(AUDIT_OBJDIR)/%.o,$(AUDIT_SRCS))
AUDIT_CC     ?= cc
AUDIT_CFLAGS ?= -O2
AUDIT_WARN   := -std=c99 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
	-Wall -Wextra -Werror
AUDIT_LIBS   := -lhiredis -lcjson -lcrypto

.PHONY: audit-tool test-audit

audit-tool: $(AUDIT_BIN)

# objects are rebuilt when the flags change (same scheme as FILELIST)
AUDIT_STAMP := $(AUDIT_OBJDIR)/flags
$(AUDIT_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(AUDIT_CC) $(AUDIT_WARN) $(AUDIT_CFLAGS)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(AUDIT_OBJDIR)/%.o: $(AUDIT_DIR)/%.c $(AUDIT_HDRS) $(AUDIT_STAMP)
	@mkdir -p $(@D)
	$(AUDIT_CC) $(AUDIT_WARN) $(AUDIT_CFLAGS) -c -o $@ $<

$(AUDIT_BIN): $(AUDIT_OBJS)
	$(AUDIT_CC) $(AUDIT_CFLAGS) -o $@.tmp $(AUDIT_OBJS) $(AUDIT_LIBS)
	mv -f $@.tmp $@

# the suite (t/run) runs t/120-audit-cli.t too
test-1.26 test-asan: $(AUDIT_BIN)

test-audit: audit-tool
	cd $(ROOT) && prove -I t/lib t/120-audit-cli.t
