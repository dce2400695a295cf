# SPDX-License-Identifier: GPL-2.0
# Shared by every userspace Makefile: compiler, flags, and libsmmu-assign.
# OUTPUT selects where objects and programs go (kselftest convention).

.DEFAULT_GOAL := all
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
CC := $(CROSS_COMPILE)gcc
AR := $(CROSS_COMPILE)ar
OUTPUT ?= $(TOP)/build/$(notdir $(CURDIR))
override OUTPUT := $(abspath $(OUTPUT))
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror \
	  -I$(TOP)/include/uapi -I$(TOP)/tools/lib
# The test bed links statically: its initramfs has no libc.
LDFLAGS += $(if $(STATIC),-static)

LIBSMMUA := $(OUTPUT)/lib/libsmmu-assign.a
LIBSMMUA_SRCS := $(wildcard $(TOP)/tools/lib/*.c)
LIBSMMUA_HDRS := $(wildcard $(TOP)/tools/lib/*.h) $(TOP)/include/uapi/linux/smmu_assign.h

$(OUTPUT)/lib/%.o: $(TOP)/tools/lib/%.c $(LIBSMMUA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBSMMUA): $(patsubst $(TOP)/tools/lib/%.c,$(OUTPUT)/lib/%.o,$(LIBSMMUA_SRCS))
	$(AR) rcs $@ $^
