# SPDX-License-Identifier: GPL-2.0
# The release: the Debian packages (debian/changelog), DKMS's source folder
# and the shared library's file name follow it.
VERSION := 0.3.0
