# vxl — top-level build.
#
#   make              build ./vxl
#   make check        build and run every test; last line "N passed, M failed"
#   make check-asan   the same, built with ASan+UBSan in build-san/
#   make check-xen    the xen backend on a real Xen 4.17 booted under QEMU
#                     (tests/xen/check-xen.sh; one boot, about 2 minutes)
#   make fuzz         build the libFuzzer targets (clang) in build-fuzz/
#   make install      PREFIX=/usr/local DESTDIR=
#   make V=1          show commands
#
# Sources are discovered per directory: every .c in a library directory
# goes into that library, every tests/unit/test_*.c is one cmocka binary,
# every tests/fuzz/fuzz_*.c one fuzz target.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

BUILD   ?= build
CC      ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN    := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
              -I. $(SAN_CFLAGS) $(CFLAGS)
LDLIBS_ALL := -lyajl -lz $(SAN_LDFLAGS)

# libxml2 (libxml2-dev): the OVF reader of `vxl import', import/ovf.c.
# vxl itself does not link it: import/xml_lazy.c dlopen()s it on first use
# (it brings ICU and libstdc++: start-up cost); the tests link it (XML_LDLIBS).
ALL_CFLAGS += $(shell $(PKG_CONFIG) --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
XML_LDLIBS := $(shell $(PKG_CONFIG) --libs libxml-2.0 2>/dev/null || echo -lxml2)
XML2_SONAME := $(shell objdump -p $$($(PKG_CONFIG) --variable=libdir libxml-2.0 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)/libxml2.so 2>/dev/null | awk '/SONAME/ {print $$2}')
ALL_CFLAGS += $(if $(XML2_SONAME),-DXML2_SONAME='"$(XML2_SONAME)"')
LDLIBS_ALL += $(XML_LDLIBS)

# Optional dependencies, used when pkg-config finds them.
HAVE_ZSTD := $(shell $(PKG_CONFIG) --exists libzstd 2>/dev/null && echo 1)
ifeq ($(HAVE_ZSTD),1)
ALL_CFLAGS += -DHAVE_ZSTD
LDLIBS_ALL += -lzstd
endif
HAVE_DEFLATE := $(shell test -f /usr/include/libdeflate.h && echo 1)
ifeq ($(HAVE_DEFLATE),1)
ALL_CFLAGS += -DHAVE_LIBDEFLATE
LDLIBS_ALL += -ldeflate
endif
# ISA-L (Debian's libisal-dev): igzip deflates qcow2 -c clusters and VMDK
# grains when present.  Nothing links it: disk/compress.c dlopen()s it on
# the first compressed write (Debian ships no static libisal, and loading it
# cost every `vxl img info' its share of start-up); libdeflate takes over
# where it cannot be loaded.
HAVE_ISAL := $(shell test -f /usr/include/isa-l/igzip_lib.h && echo 1)
ifeq ($(HAVE_ISAL),1)
ISAL_SONAME := $(shell objdump -p $$($(CC) -print-file-name=libisal.so) 2>/dev/null | awk '/SONAME/ {print $$2}')
ALL_CFLAGS += -DHAVE_ISAL $(if $(ISAL_SONAME),-DISAL_SONAME='"$(ISAL_SONAME)"')
endif

# nettle (Debian's nettle-dev): SHA-1/SHA-256/SHA-512 for OVA manifests
# (import/manifest.c).  Without it a manifest cannot be verified and an
# import that has one says so.
HAVE_NETTLE := $(shell test -f /usr/include/nettle/sha2.h && echo 1)
ifeq ($(HAVE_NETTLE),1)
ALL_CFLAGS += -DHAVE_NETTLE
LDLIBS_ALL += -lnettle
endif

# vxl itself links the small libraries above from their static archives
# where Debian ships them (libyajl_s.a, libz.a, libzstd.a, libdeflate.a,
# libnettle.a): every shared library costs each start its mapping and
# symbol lookups, and `vxl img info' is over in about a millisecond
# (callgrind: 1.22 M -> 0.57 M instructions for `img info', most of the
# rest being libc's own start-up).  The test programs link the shared
# ones.  STATIC_DEPS=0 links vxl against the shared libraries too.
STATIC_DEPS ?= 1
static_or_shared = $(if $(filter 1,$(STATIC_DEPS)),$(if $(filter /%,$(shell $(CC) -print-file-name=lib$(1).a)),$(shell $(CC) -print-file-name=lib$(1).a),-l$(2)),-l$(2))
VXL_LDLIBS := $(call static_or_shared,yajl_s,yajl) \
    $(if $(filter 1,$(HAVE_ZSTD)),$(call static_or_shared,zstd,zstd)) \
    $(if $(filter 1,$(HAVE_DEFLATE)),$(call static_or_shared,deflate,deflate)) \
    $(if $(filter 1,$(HAVE_NETTLE)),$(call static_or_shared,nettle,nettle)) \
    $(call static_or_shared,z,z) -lpthread -ldl $(SAN_LDFLAGS)

# libxenlight (Debian's libxen-dev): the xen backend, backend/xen.c, is
# built only when pkg-config finds xenlight.  Without it that file is left
# out and `--backend=xen' says the backend is not available in this build.
# vxl itself does not link it: backend/xen_lazy.c dlopen()s it on first
# use (start-up cost); the test programs still link it (XEN_LDLIBS).
HAVE_XENLIGHT := $(shell $(PKG_CONFIG) --exists xenlight xentoollog 2>/dev/null && echo 1)
ifeq ($(HAVE_XENLIGHT),1)
XENLIGHT_SONAME := $(shell objdump -p $$($(PKG_CONFIG) --variable=libdir xenlight)/libxenlight.so 2>/dev/null | awk '/SONAME/ {print $$2}')
ALL_CFLAGS += -DHAVE_LIBXL $(shell $(PKG_CONFIG) --cflags xenlight xentoollog) \
              $(if $(XENLIGHT_SONAME),-DXENLIGHT_SONAME='"$(XENLIGHT_SONAME)"')
XEN_LDLIBS := $(shell $(PKG_CONFIG) --libs xenlight xentoollog)
LDLIBS_ALL += $(XEN_LDLIBS)
else
EXCLUDE_SRCS += backend/xen.c backend/xen_lazy.c
endif

# Libraries, in link order (dependents first).
LIBDIRS := import pipeline backend console hotplug disk cfgparse common
define lib_template
$(1)_SRCS := $$(filter-out $$(EXCLUDE_SRCS),$$(sort $$(wildcard $(1)/*.c)))
$(1)_OBJS := $$(patsubst %.c,$$(BUILD)/%.o,$$($(1)_SRCS))
$(1)_LIB  := $$(if $$($(1)_SRCS),$$(BUILD)/lib$(1).a)
endef
$(foreach d,$(LIBDIRS),$(eval $(call lib_template,$(d))))
LIBS := $(foreach d,$(LIBDIRS),$($(d)_LIB))

XL_SRCS := $(sort $(wildcard xl/*.c))
XL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(XL_SRCS))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all check check-unit check-asan check-xen fuzz install clean
all: vxl

vxl: $(BUILD)/vxl
	$(Q)ln -sf $(BUILD)/vxl vxl

$(BUILD)/vxl: $(XL_OBJS) $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(XL_OBJS) $(LIBS) $(VXL_LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

define ar_rule
$$($(1)_LIB): $$($(1)_OBJS)
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach d,$(LIBDIRS),$(if $($(d)_LIB),$(eval $(call ar_rule,$(d)))))

# Per-target extra libraries: TEST_LDLIBS_<test name> / FUZZ_LDLIBS_<name>.
# The differential tests of the cfg reader and disk specs link the real
# libxlutil.
TEST_LDLIBS_test_cfg_xlu := -lxlutil -lxenlight
FUZZ_LDLIBS_fuzz_cfg_xlu := -lxlutil -lxenlight
TEST_LDLIBS_test_disk_xlu := -lxlutil -lxenlight
# The xen backend's unit test replaces the libxl calls backend/xen.c makes
# with its own recording fakes (__wrap_libxl_*, tests/unit/test_xen_backend.c);
# without libxenlight the test is a stub that only says it was skipped.
XEN_WRAPPED := ctx_alloc ctx_free list_domain domain_info domid_to_name \
    name_to_domid vm_get_start_time domain_destroy domain_shutdown \
    domain_reboot domain_pause domain_unpause send_trigger domain_create_new \
    domain_config_from_json domain_config_to_json console_get_tty
ifeq ($(HAVE_XENLIGHT),1)
TEST_LDLIBS_test_xen_backend := $(foreach f,$(XEN_WRAPPED),-Wl,--wrap=libxl_$(f))
endif
FUZZ_LDLIBS_fuzz_disk_xlu := -lxlutil -lxenlight

$(BUILD)/tests/%: tests/unit/%.c $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS) $(LDLIBS_ALL) $(TEST_LDLIBS_$*) -lcmocka

# The test double of libxl's hypervisor calls (tests/xenshim), preloaded by
# tests/integration/xen_translate.sh; no sanitizers (see that script).
XENSHIM := $(if $(HAVE_XENLIGHT),$(BUILD)/tests/xenshim.so)
$(BUILD)/tests/xenshim.so: tests/xenshim/xenshim.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -std=gnu11 $(WARN) $(CFLAGS) -fPIC -shared -o $@ $<

check: vxl $(UNIT_BINS) $(XENSHIM)
	$(Q)VXL_BUILD=$(BUILD) tests/run.sh $(UNIT_BINS)

# One boot of Xen under QEMU (TCG) running tests/xen/scenario.sh in Dom0
# against xl; its results counted like the other tests'.
check-xen: vxl
	$(Q)VXL_BUILD=$(BUILD) VXL_UNIT_ONLY=1 tests/run.sh tests/xen/check-xen.sh

check-unit: $(UNIT_BINS)
	$(Q)VXL_BUILD=$(BUILD) VXL_UNIT_ONLY=1 tests/run.sh $(UNIT_BINS)

SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
check-asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-san SAN_CFLAGS="$(SAN)" \
	    SAN_LDFLAGS="$(SAN)" CFLAGS="-O1 -g" build-san/vxl check-unit-san

check-unit-san: $(UNIT_BINS) $(XENSHIM)
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    VXL=$(BUILD)/vxl VXL_BUILD=$(BUILD) tests/run.sh $(UNIT_BINS)

FUZZ_CC ?= clang
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1
fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) \
	    SAN_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
	    SAN_LDFLAGS="-fsanitize=address,undefined" CFLAGS="-g -O1" fuzz-targets

fuzz-targets: $(LIBS)
	@mkdir -p $(BUILD)/fuzz
	$(Q)$(foreach f,$(FUZZ_SRCS),n=$(basename $(notdir $(f))); \
	    echo "  FUZZ    $$n" && $(CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) \
	    -o $(BUILD)/fuzz/$$n $(f) $(LIBS) $(LDLIBS_ALL) \
	    $(FUZZ_LDLIBS_$(basename $(notdir $(f)))) &&) true

install: vxl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/vxl $(DESTDIR)$(BINDIR)/vxl
	for m in docs/*.1; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man1/; done; true

clean:
	rm -rf build build-san build-fuzz vxl

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
