# SPDX-License-Identifier: GPL-2.0
#
# make            the module (against KDIR), smmuctl and the selftests
# make check      host tests, then the selftests in an emulated ARM64 server
#                 on Debian's stock kernel and on a debug kernel
# make demo       boot the emulated server and show smmu-assign at work
# make bench      smmu-assign against VFIO type1 and the floor, in one boot
#                 of the emulated server (Documentation/performance.rst)
#
# KDIR selects the kernel build tree; ARCH and CROSS_COMPILE cross-build.

KDIR ?= /lib/modules/$(shell uname -r)/build

all: module tools selftests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools

selftests:
	$(MAKE) -C selftests

check:
	bash tools/testbed/check.sh

demo:
	bash tools/testbed/demo.sh

bench:
	bash tools/testbed/bench.sh

clean:
	[ ! -d $(KDIR) ] || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build

.PHONY: all module tools selftests check demo bench clean
