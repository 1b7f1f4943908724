# minidock: write your own container runtime, one kernel mechanism per chapter.
CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
ROOTFS := $(CURDIR)/build/rootfs
DEFS := -DDEFAULT_ROOTFS='"$(ROOTFS)"'

# The chapters that exist, in order: folder/binary.
STEPS := step01-uts/uts step02-pid/pid step03-mnt/mnt
LAST := $(words $(STEPS))

.PHONY: all rootfs probe test doctor diff clean $(addprefix test-step,01 02 03 04 05 06 07 08)

all: $(STEPS) build/probe

$(STEPS): %: %.c
	$(CC) $(CFLAGS) $(DEFS) -o $@ $<

build/probe: tests/tools/probe.c
	@mkdir -p build
	$(CC) $(CFLAGS) -static -o $@ $<

probe: build/probe

rootfs: build/rootfs/.done

build/rootfs/.done: build/probe tests/tools/mkrootfs.sh
	sh tests/tools/mkrootfs.sh $(ROOTFS) build/probe
	touch $@

# make test: every chapter against its own tests and all earlier chapters'.
test: all rootfs
	@bash tests/run.sh $(STEPS)

test-step%: all rootfs
	@bash tests/run.sh $(wordlist 1,$(shell expr $* + 0),$(STEPS))

doctor: build/probe
	@sh tests/tools/doctor.sh build/probe

# make diff STEP=03: the lesson of chapter 3 in one screen.
diff:
	@test -n "$(STEP)" || { echo "usage: make diff STEP=NN"; exit 2; }
	@n=$$(expr $(STEP) + 0); \
	 new=$$(echo $(STEPS) | tr ' ' '\n' | sed -n "$${n}p"); \
	 old=$$(echo $(STEPS) | tr ' ' '\n' | sed -n "$$((n - 1))p"); \
	 test -n "$$new" -a -n "$$old" || { echo "no chapter $(STEP) or no chapter before it"; exit 2; }; \
	 diff -u $$old.c $$new.c || true

clean:
	rm -rf build $(STEPS)
