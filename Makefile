# SPDX-License-Identifier: GPL-2.0
#
# make            the module (against KDIR) and the userspace tools
#                 (smmuctl, libsmmu-assign static and shared, edu-dma)
# make install    the module (the kernel's modules_install, then depmod),
#                 smmuctl with its man page and bash completion, the library,
#                 its headers and pkg-config file, the udev rule and the
#                 systemd unit; make uninstall removes them
# make sign       sign the built module: KEY=signing key, CERT=its certificate
# make dkms-source  the module's sources and dkms.conf, as DKMS wants them,
#                 in $(DESTDIR)/usr/src/smmu-assign-$(VERSION)
# make selftests  the kselftests (needs kselftest_harness.h: KSFT_DIR, or
#                 Debian's linux-source-6.1, which the test bed extracts)
# make check      host tests, then the selftests in an emulated ARM64 server
#                 on Debian's 6.1 and 6.12 kernels and on a debug kernel
# make demo       boot the emulated server and show smmu-assign at work
# make bench      smmu-assign against VFIO type1 and the floor, in one boot
#                 of the emulated server (Documentation/performance.rst)
#
# KDIR selects the kernel build tree; ARCH and CROSS_COMPILE cross-build.
# DESTDIR and PREFIX (default /usr/local) place what install installs.

include $(dir $(lastword $(MAKEFILE_LIST)))version.mk
KDIR ?= /lib/modules/$(shell uname -r)/build
DEPMOD ?= depmod
# The kernel release the module is built for: where modules_install puts it.
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	     $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODULE := drivers/smmu-assign/smmu_assign.ko
# What DKMS builds from: the Kbuild files, the module and the uapi header.
# (Kbuild's generated *.mod.c are not sources.)
DKMS_SRC := Kbuild $(filter-out %.mod.c,$(wildcard drivers/smmu-assign/*.c)) \
	    $(wildcard drivers/smmu-assign/*.h) \
	    drivers/smmu-assign/Kbuild drivers/smmu-assign/probe-features.sh \
	    include/uapi/linux/smmu_assign.h
DKMS_DIR = $(DESTDIR)/usr/src/smmu-assign-$(VERSION)

all: module tools

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools

# The selftests run inside the test bed's emulated server (make check), and
# build against a kernel tree's kselftest_harness.h.
selftests:
	@if [ -z "$(KSFT_DIR)" ] && [ ! -e /usr/src/linux-source-6.1.tar.xz ]; then \
		echo "make selftests needs kselftest_harness.h from a kernel source tree:" >&2; \
		echo "  KSFT_DIR=<linux>/tools/testing/selftests, or Debian's linux-source-6.1" >&2; \
		echo "  (apt-get install linux-source-6.1; the test bed extracts it under .cache)." >&2; \
		echo "They run in the emulated server: 'make check'." >&2; \
		exit 1; \
	fi
	$(MAKE) -C selftests

check:
	bash tools/testbed/check.sh

demo:
	bash tools/testbed/demo.sh

bench:
	bash tools/testbed/bench.sh

install: install-module install-tools

# The kernel installs the module under lib/modules/<release>/extra; its
# depmod step needs a System.map that header packages lack, so depmod runs
# here. Into a DESTDIR (a package being built), depmod is the target's job.
install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
	@if [ -z "$(DESTDIR)" ]; then \
		echo "$(DEPMOD) -a $(KRELEASE)"; $(DEPMOD) -a $(KRELEASE); \
	else \
		echo "run '$(DEPMOD) -a $(KRELEASE)' on the target"; \
	fi

install-tools: tools
	$(MAKE) -C tools install

uninstall: uninstall-module uninstall-tools

uninstall-module:
	@[ -n "$(KRELEASE)" ] || { echo "no kernel release in $(KDIR): set KDIR" >&2; exit 1; }
	rm -f $(DESTDIR)/lib/modules/$(KRELEASE)/extra/$(MODULE) \
	      $(DESTDIR)/lib/modules/$(KRELEASE)/extra/$(MODULE).xz \
	      $(DESTDIR)/lib/modules/$(KRELEASE)/extra/$(MODULE).gz \
	      $(DESTDIR)/lib/modules/$(KRELEASE)/extra/$(MODULE).zst
	-cd $(DESTDIR)/lib/modules/$(KRELEASE) 2>/dev/null && \
		rmdir extra/drivers/smmu-assign extra/drivers extra 2>/dev/null
	@if [ -z "$(DESTDIR)" ] && [ -d /lib/modules/$(KRELEASE)/kernel ]; then \
		echo "$(DEPMOD) -a $(KRELEASE)"; $(DEPMOD) -a $(KRELEASE); \
	fi

uninstall-tools:
	$(MAKE) -C tools uninstall

# Sign the built module with the kernel's own sign-file and hash, for a
# kernel that enforces signatures (Secure Boot lockdown, module.sig_enforce):
# enrol CERT as a MOK first (Documentation/admin-guide.rst).
sign:
	@[ -n "$(KEY)" ] && [ -n "$(CERT)" ] || \
		{ echo "make sign needs KEY=<private key> CERT=<certificate (PEM or DER)>" >&2; exit 1; }
	@[ -e $(MODULE) ] || { echo "$(MODULE) is not built: run make first" >&2; exit 1; }
	@[ -x $(KDIR)/scripts/sign-file ] || \
		{ echo "$(KDIR)/scripts/sign-file missing: a kernel without module signing?" >&2; exit 1; }
	$(KDIR)/scripts/sign-file \
		$$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' $(KDIR)/.config | grep . || echo sha256) \
		$(KEY) $(CERT) $(MODULE)

# DKMS builds the module for each kernel from /usr/src/smmu-assign-VERSION
# (dkms add, build, install; see dkms.conf). The Debian package does the same.
dkms-source:
	install -d $(DKMS_DIR)
	for f in $(DKMS_SRC); do install -D -m 0644 $$f $(DKMS_DIR)/$$f; done
	chmod 0755 $(DKMS_DIR)/drivers/smmu-assign/probe-features.sh
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf > $(DKMS_DIR)/dkms.conf

# Register, build and install with DKMS for the running kernel (as root).
dkms-install: dkms-source
	dkms install smmu-assign/$(VERSION)

dkms-uninstall:
	dkms remove smmu-assign/$(VERSION) --all
	rm -rf $(DKMS_DIR)

version:
	@echo $(VERSION)

clean:
	[ ! -d $(KDIR) ] || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build

.PHONY: all module tools selftests check demo bench install install-module install-tools \
	uninstall uninstall-module uninstall-tools sign dkms-source dkms-install \
	dkms-uninstall version clean
