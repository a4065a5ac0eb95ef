# appliance: build, test, install.
#
#   make demo     install what is missing, build, build the demo appliance
#   make check    install what is missing, build, run the gate (tier check)
#   make check-vm / check-lifecycle / check-slow / check-all    the other tiers
#   make check-asan / check-fuzz    sanitizers, the fuzzers
#   make help     every target, with what it does
#   make install PREFIX=/usr/local DESTDIR=...

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
# Where bash-completion looks for a command's completion (its
# completionsdir under PREFIX: /usr/local/share/... is in its path too).
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
DESTDIR ?=

CC ?= cc
BUILD ?= build
PKGS := yaml-0.1 json-c libcrypto nettle libarchive libguestfs libdeflate libxml-2.0 libvirt blkid ext2fs com_err libnbd
WERROR ?= -Werror
WARNINGS := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wwrite-strings -Wundef -fno-common
CFLAGS ?= -O2 -g
# CPPFLAGS: a packager's (dpkg-buildflags' _FORTIFY_SOURCE), empty here.
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Iinclude -Ibuilder $(WARNINGS) $(WERROR) $(CPPFLAGS) $(CFLAGS) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# Debian packages: to build, to run a build, and to test.
# nettle-dev: the SHA-256 whose state is a public structure, so that runs of
# zeros in a disk image are looked up, not hashed again (sparse_sha256.c).
# libext2fs-dev (comerr-dev: its error texts), libnbd-dev: inspect reads and
# convert --new-identity edits ext2/3/4 in place through libext2fs, any image
# format through qemu-nbd (qemu-utils) with libnbd as its client: no VM.
# libblkid-dev, libext2fs-dev: resize reads what each volume holds (libblkid) and an ext
# superblock's size (libext2fs) on the host, at the volume's offset in the raw copy.
DEPS_BUILD := gcc make pkg-config perl libyaml-dev libjson-c-dev libssl-dev nettle-dev \
	libarchive-dev libguestfs-dev libdeflate-dev zlib1g-dev libxml2-dev libvirt-dev \
	libext2fs-dev comerr-dev libnbd-dev libblkid-dev
# linux-image-amd64: libguestfs builds its appliance from the host's kernel.
# dnf, rpm: the CentOS family (rpm also brings rpmbuild, for the tests).
# tzdata, locales: the zone and locale names a recipe's are checked against
# (/usr/share/zoneinfo, /usr/share/i18n/SUPPORTED).
# ovmf: 'appliance test' boots UEFI with it, right after the README's first build.
# skopeo: push, pull and --cache-registry talk to OCI registries through it
# (its auth files, TLS and digest checks); prlimit (util-linux) bounds a pull.
# uidmap: newuidmap and newgidmap, which map a user's build's namespace to the
# user's subordinate ids (userns.c): a build without root.
DEPS_RUN := mmdebstrap debian-archive-keyring linux-image-amd64 qemu-system-x86 qemu-utils \
	libguestfs-xfs fdisk mtools e2fsprogs dosfstools xfsprogs lvm2 tar pigz dnf rpm \
	tzdata locales ovmf skopeo uidmap
# libvirt-daemon, libvirt-daemon-driver-qemu: deploy.sh and tests/slow/live.sh start their
# own session libvirtd. podman (and skopeo, in DEPS_RUN): container.sh loads and runs the OCI archive.
# docker-registry (the CNCF distribution registry), apache2-utils (htpasswd), curl:
# registry.sh starts a real registry with TLS and htpasswd auth on 127.0.0.1.
# golang-go, golang-github-vmware-govmomi-dev: tests/helpers/ovf-parse.go, govmomi's OVF
# parser (profiles.sh), built offline from Debian's Go sources.
# openssh-client (ssh-keygen), initramfs-tools-core (lsinitramfs): cloud-init.sh.
# shellcheck: tests/source/shellcheck.sh, on the shell templates.
# python3-jsonschema, python3-yaml: schema.sh judges the recipe's JSON Schema; sbom.sh
# the SBOMs against SPDX's and CycloneDX's. openssl: sbom.sh and test_sign check the
# signatures with `openssl pkeyutl -verify`, as a customer would.
# debhelper, dpkg-dev, lintian: tests/source/debian.sh builds the .deb with
# dpkg-buildpackage (debian/) and judges it with lintian. bash-completion:
# tests/cli/completion.sh runs bash-completion/appliance as it would.
DEPS_TEST := libcmocka-dev clang libclang-rt-14-dev python3 python3-jsonschema python3-yaml \
	guestfs-tools guestfish libxml2-utils \
	createrepo-c zstd libvirt-clients libarchive-tools virt-v2v nbdkit libnbd-bin libvirt-daemon \
	libvirt-daemon-driver-qemu podman golang-go golang-github-vmware-govmomi-dev \
	openssh-client initramfs-tools-core shellcheck openssl debhelper dpkg-dev lintian \
	bash-completion docker-registry apache2-utils curl
# Ubuntu guests: Ubuntu's archive keys, which mmdebstrap checks noble with.
# Debian 12 has ubuntu-keyring in bookworm-backports only, so it cannot be
# in DEPS_RUN (apt-get would refuse the whole list on a plain Debian 12):
# installed when the host's apt sources offer it, else named with the way
# to get it. A build of an Ubuntu recipe without it stops in preflight.
DEPS_UBUNTU := ubuntu-keyring
# Building for another architecture (hardware.arch: aarch64 on an x86_64
# host): qemu-user-static runs the tree's programs through a binfmt_misc
# entry of the build's own (binfmt.c); mmdebstrap checks with arch-test
# that they run. Booting it ('appliance test'): qemu-system-arm's
# qemu-system-aarch64 with qemu-efi-aarch64's AAVMF (boot_vm.c). 700 MB in
# all, so the package only suggests them.
DEPS_CROSS := qemu-user-static arch-test qemu-system-arm qemu-efi-aarch64
DEPS := $(DEPS_BUILD) $(DEPS_RUN) $(DEPS_TEST) $(DEPS_CROSS)

# One list, printed for those who read it: debian/rules (the package's
# Depends) and tests/source/debian.sh. make -s print-DEPS_RUN
print-DEPS_%:
	@echo $(DEPS_$*)

# One folder per stage under builder/ (builder/README.md). The commands
# (builder/cli/main.c, cmd_*.c) make the program; everything else,
# the progress display included, goes into libappliance.a for the tests.
CLI_SRCS := builder/cli/main.c $(wildcard builder/cli/cmd_*.c)
LIB_SRCS := $(filter-out $(CLI_SRCS),$(wildcard builder/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# The files under templates/ (templates.h), embedded as a generated table.
TEMPLATES := $(sort $(wildcard templates/*))
TEMPLATES_C := $(BUILD)/gen/templates.c
MANS := $(BUILD)/man/appliance.1 $(BUILD)/man/appliance-recipe.5

.PHONY: FORCE all deps deps-build demo check check-vm check-lifecycle check-slow check-all check-clang check-asan \
	check-fuzz fuzz install clean bench help image

all: $(BUILD)/appliance $(MANS) $(BUILD)/recipe.schema.json $(BUILD)/bench/vmdk-write

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The folder too: a template removed changes it.
$(TEMPLATES_C): $(TEMPLATES) templates builder/common/embed-templates.sh
	@mkdir -p $(dir $@)
	sh builder/common/embed-templates.sh $(TEMPLATES) >$@.tmp && mv $@.tmp $@

$(TEMPLATES_C:.c=.o): $(TEMPLATES_C)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# Made anew each time, so that an object whose source is gone leaves it.
$(BUILD)/libappliance.a: $(LIB_OBJS) $(TEMPLATES_C:.c=.o)
	rm -f $@ && ar rcs $@ $^

# What --version says of the build: the commit (from git; "unknown" out of
# a tarball) and the libraries built in. Rewritten only when it changes,
# so that main.c is compiled again then and only then.
BUILD_INFO := $(BUILD)/gen/build_info.h
$(BUILD_INFO): FORCE
	@mkdir -p $(dir $@)
	@commit=unknown; \
	if [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ]; then \
		commit=$$(git rev-parse --short=12 HEAD); \
		git diff --quiet HEAD -- 2>/dev/null || commit=$$commit-dirty; \
	fi; \
	libs=$$(for p in $(PKGS); do printf ' %s-%s' $$p "$$(pkg-config --modversion $$p 2>/dev/null)"; done); \
	printf '#define APPLIANCE_COMMIT "%s"\n#define APPLIANCE_LIBRARIES "%s"\n' \
		"$$commit" "$${libs# }" >$@.tmp; \
	if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/builder/cli/main.o: $(BUILD_INFO)
$(BUILD)/builder/cli/main.o: ALL_CFLAGS += -I$(BUILD)/gen

FORCE:

$(BUILD)/appliance: $(CLI_OBJS) $(BUILD)/libappliance.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libappliance.a $(LIBS)

# Each test's dependency file is hidden (.test_x.d), so that the glob
# build/tests/test_* names the test programs only.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libappliance.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $(dir $@).$(notdir $@).d $(LDFLAGS) -o $@ $< \
		$(BUILD)/libappliance.a $(LIBS) $(CMOCKA_LIBS)

$(BUILD)/man/appliance.1: man/appliance.pod
	@mkdir -p $(dir $@)
	pod2man --section=1 --center="appliance" --release="appliance" --name=APPLIANCE $< $@

# The recipe's keys come from the parser's key table (builder/recipe/
# recipe_parse.c): the man page's key reference takes the place of the
# line "=for keys" in its source, and the JSON Schema is the program's.
$(BUILD)/man/appliance-recipe.pod: man/appliance-recipe.pod $(BUILD)/appliance
	@mkdir -p $(dir $@)
	$(BUILD)/appliance schema --pod >$@.keys
	sed -e '/^=for keys$$/{r $@.keys' -e 'd}' $< >$@.tmp
	grep -q '^=head2 Top level$$' $@.tmp && rm $@.keys && mv $@.tmp $@

$(BUILD)/man/appliance-recipe.5: $(BUILD)/man/appliance-recipe.pod
	pod2man --section=5 --center="appliance" --release="appliance" --name=APPLIANCE-RECIPE $< $@

$(BUILD)/recipe.schema.json: $(BUILD)/appliance
	$(BUILD)/appliance schema >$@.tmp && mv $@.tmp $@

# Installs the Debian packages of $(1) that are missing; quiet when all are there.
define install_missing
	@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "make $@: installing" $$missing; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends \
			$$missing >/dev/null || exit 1; \
	fi
endef

# Installs each package of $(1) that is missing and that the host's apt
# sources offer; names the others, which only some guests need.
define install_available
	@for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' && continue; \
		if LC_ALL=C apt-cache policy $$p 2>/dev/null | grep -q '^  Candidate: [^(]'; then \
			echo "make $@: installing $$p"; \
			sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
			DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends \
				$$p >/dev/null || exit 1; \
		else \
			echo "make $@: $$p is not in this host's apt sources; Ubuntu guests need it" \
				"(Debian 12: add bookworm-backports, then apt-get install -t bookworm-backports $$p)"; \
		fi; \
	done
endef

# What building the program and running a build need (make demo), and
# everything, the test tools included (make check and the test tiers).
deps-build:
	$(call install_missing,$(DEPS_BUILD) $(DEPS_RUN))
	$(call install_available,$(DEPS_UBUNTU))

deps:
	$(call install_missing,$(DEPS))
	$(call install_available,$(DEPS_UBUNTU))

# Building needs root: only the build of the demo runs through sudo, so
# that build/ stays the user's.
demo: deps-build
	@$(MAKE) --no-print-directory all
	@sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "$$sudo $(BUILD)/appliance build recipes/demo.yaml"; \
		$$sudo $(BUILD)/appliance build recipes/demo.yaml

# Every test names its tier in a "# tier:" line (tests/run-tests); the
# compiled unit tests are of tier check. tests/run-tests starts them in the
# order given, -j$(TEST_JOBS) at a time, so the long poles come first: the
# gate's boot.sh builds the layout recipe that the gate's other judges share
# (they wait for it), the tests that need no build keep the other slots
# busy meanwhile, then reproducible.sh (two more builds) starts before the
# other judges of the build. No tier depends on another.
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
QUICK_SCRIPTS := $(wildcard tests/recipes/*.sh tests/source/*.sh tests/cli/*.sh)
TEST_SCRIPTS := $(QUICK_SCRIPTS) $(wildcard tests/integration/*.sh tests/slow/*.sh)
RUN_TESTS = BUILD=$(BUILD) tests/run-tests -j$(TEST_JOBS)

check: deps
	@$(MAKE) -s --no-print-directory all $(UNIT_BINS) check-clang
	@$(RUN_TESTS) --tier check tests/integration/boot.sh $(QUICK_SCRIPTS) $(UNIT_BINS) \
		tests/integration/reproducible.sh $(TEST_SCRIPTS)

check-vm check-lifecycle check-slow: check-%: deps
	@$(MAKE) -s --no-print-directory all
	@$(RUN_TESTS) --tier $* $(TEST_SCRIPTS)

# Every tier, one after the other, each timed; all run even when one fails.
check-all: deps
	@failed=; times=; for t in check check-vm check-lifecycle check-slow; do \
		start=$$(date +%s); \
		$(MAKE) --no-print-directory $$t && r=passed || { r=FAILED; failed="$$failed $$t"; }; \
		s=$$(( $$(date +%s) - start )); \
		times="$$times$$(printf 'make %-16s %s in %d min %02d s' $$t $$r $$((s / 60)) $$((s % 60)))\n"; \
	done; printf "\ncheck-all:\n$$times"; \
	[ -z "$$failed" ] || { echo "check-all: failed:$$failed"; exit 1; }

help:
	@echo 'make demo             install what is missing, build, build the demo appliance into output/'
	@echo 'make check            the gate (.ci/run, at most 15 minutes): gcc and clang with -Werror,'
	@echo '                      unit, CLI, layers, recipe goldens, hostile inputs, one build of the'
	@echo '                      layout recipe judged without a VM (exports, inspect digests,'
	@echo '                      reproducibility) and booted once (SeaBIOS)'
	@echo 'make check-vm         every other boot: OVMF, Secure Boot, cloud-init, grow, IDE,'
	@echo '                      appliance test, the libguestfs readers of the layout'
	@echo 'make check-lifecycle  convert, resize, inspect, import profiles, containers, incremental,'
	@echo '                      cache, registries, rootfs:, dnf, deploy, contents, the failure tests'
	@echo 'make check-slow       virt-v2v -i ova, convert --live'
	@echo 'make check-all        the four tiers above, one after the other, with their times'
	@echo 'make check-asan       unit and recipe tests under address and undefined sanitizers'
	@echo 'make check-fuzz       every reader of outside bytes under libFuzzer, FUZZ_SECONDS each'
	@echo '                      (default 60; FUZZ=NAME: one of tests/fuzz/NAME_fuzz.c)'
	@echo 'make bench            benchmarks (bench/), as ratios against a reference run'
	@echo 'make image            the tool as an OCI image: build/appliance-image.tar (podman load -i)'
	@echo 'make deps-build       install the missing Debian packages a build needs (make demo)'
	@echo 'make deps             install every missing Debian package, the test tools too (make check)'
	@echo 'make install          install the program, man pages, the recipe schema and the bash'
	@echo '                      completion (PREFIX, DESTDIR)'
	@echo 'TEST_JOBS=N           tests run at once (default: the number of cores)'

# A second compiler's opinion: clang refuses, for one, a goto that jumps past
# a cleanup variable, which gcc accepts silently.
# The fuzz harnesses too: the gate builds no fuzz target, and a harness
# that no longer compiles would otherwise break make check-fuzz unseen.
check-clang: $(BUILD_INFO)
	@for f in $(LIB_SRCS) $(CLI_SRCS) $(FUZZ_SRCS); do \
		clang -std=gnu11 -D_GNU_SOURCE -Iinclude -Ibuilder -I$(BUILD)/gen $(WARNINGS) -Werror -fsyntax-only \
			$(shell pkg-config --cflags $(PKGS)) $$f || exit 1; \
	done

# Unit and recipe tests again, built with address and undefined sanitizers.
check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" build/asan/appliance \
		$(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 TEST_TIMEOUT_FACTOR=3 BUILD=build/asan tests/run-tests \
		$(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%) tests/recipes/*.sh

# Every parser of outside bytes under libFuzzer: one harness per reader,
# tests/fuzz/NAME_fuzz.c. The library is compiled once more for them, with
# the fuzzer's coverage and the sanitizers; each harness links it.
FUZZ_SRCS := $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/%_fuzz.c=%)
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%_fuzz)
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -Iinclude -Ibuilder -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all $(shell pkg-config --cflags $(PKGS))
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/fuzz/obj/%.o) $(BUILD)/fuzz/obj/gen/templates.o
fuzz: deps $(FUZZ_BINS)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/obj/gen/templates.o: $(TEMPLATES_C)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/libappliance.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/%_fuzz: tests/fuzz/%_fuzz.c $(BUILD)/fuzz/libappliance.a
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $(WARNINGS) -fsanitize=fuzzer -MMD -MP -MF $(dir $@).$(notdir $@).d \
		-o $@ $< $(BUILD)/fuzz/libappliance.a $(LIBS)

# Each harness runs FUZZ_SECONDS (default 60), one after the other, on
# its seeds: what tests/fuzz/seeds.sh NAME puts in $(BUILD)/fuzz/corpus/NAME
# (samples of the repository, and images the real tools make there and
# then), with tests/fuzz/NAME.dict if there is one and the libFuzzer flags
# of tests/fuzz/NAME.options. A crash, a leak or a unit slower than 10 s
# fails, its input kept as $(BUILD)/fuzz/NAME-crash-... (or leak-, timeout-,
# slow-unit-); every harness runs even when one fails. FUZZ=NAME runs one.
FUZZ_SECONDS ?= 60
FUZZ ?= $(FUZZ_NAMES)
check-fuzz: fuzz
	@failed=; for f in $(FUZZ); do \
		corpus=$(BUILD)/fuzz/corpus/$$f; \
		rm -rf $$corpus && mkdir -p $$corpus && tests/fuzz/seeds.sh $$f $$corpus || exit 1; \
		dict=; [ ! -f tests/fuzz/$$f.dict ] || dict=-dict=tests/fuzz/$$f.dict; \
		opts=$$(cat tests/fuzz/$$f.options 2>/dev/null); \
		echo "check-fuzz: $$f, $(FUZZ_SECONDS) s, $$(ls $$corpus | wc -l) seeds"; \
		$(BUILD)/fuzz/$${f}_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 $$opts $$dict \
			-artifact_prefix=$(BUILD)/fuzz/$$f- $$corpus || failed="$$failed $$f"; \
	done; \
	[ -z "$$failed" ] || { echo "check-fuzz: failed:$$failed (inputs kept in $(BUILD)/fuzz/)"; exit 1; }

# The tool as an OCI image archive (image/build.sh): its Debian package and
# Depends in a Debian 12 tree made here by mmdebstrap; `podman load -i` it.
image: deps
	BUILD=$(BUILD) image/build.sh $(BUILD)/appliance-image.tar

# Benchmarks: helper programs that are never installed, and the scripts
# that time them (BENCH_DISK: a raw disk; default the demo's OS disk).
# bench/build.sh builds the demo with this engine and with commit REF's;
# bench/lifecycle.sh races inspect, convert --new-identity and resize.
BENCH_BINS := $(BUILD)/bench/vmdk-write $(BUILD)/bench/deflate-compare
bench: $(BENCH_BINS) $(BUILD)/appliance
	BUILD=$(BUILD) bench/vmdk-stream.sh $(BENCH_DISK)
	BUILD=$(BUILD) bench/build.sh
	BUILD=$(BUILD) bench/lifecycle.sh

# The VMDK writer stands alone (builder/export/vmdk.h): vmdk-write links its
# object and the error type's with libdeflate, pthread and libc only, so a
# dependency creeping into the writer breaks `make all`.
$(BUILD)/bench/vmdk-write: bench/vmdk-write.c $(BUILD)/builder/export/vmdk_stream.o \
		$(BUILD)/builder/common/error.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $(dir $@).$(notdir $@).d $(LDFLAGS) -o $@ $< \
		$(BUILD)/builder/export/vmdk_stream.o $(BUILD)/builder/common/error.o -ldeflate -lpthread

$(BUILD)/bench/%: bench/%.c $(BUILD)/libappliance.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $(dir $@).$(notdir $@).d $(LDFLAGS) -o $@ $< \
		$(BUILD)/libappliance.a $(LIBS) $(shell pkg-config --libs zlib 2>/dev/null)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DATADIR)/appliance $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BUILD)/appliance $(DESTDIR)$(BINDIR)/appliance
	install -m 0644 $(BUILD)/man/appliance.1 $(DESTDIR)$(MANDIR)/man1/appliance.1
	install -m 0644 $(BUILD)/man/appliance-recipe.5 $(DESTDIR)$(MANDIR)/man5/appliance-recipe.5
	install -m 0644 $(BUILD)/recipe.schema.json $(DESTDIR)$(DATADIR)/appliance/recipe.schema.json
	install -m 0644 bash-completion/appliance $(DESTDIR)$(BASHCOMPDIR)/appliance

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' -type f -not -path '*/itest/*' -not -path '*/bench/engine-*' 2>/dev/null)
