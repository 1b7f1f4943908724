# minidock: write your own container runtime, one kernel mechanism per chapter.
CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
ROOTFS := $(CURDIR)/build/rootfs
DEFS := -DDEFAULT_ROOTFS='"$(ROOTFS)"'

# The chapters, in order: folder/binary. Only those whose source exists are built.
ALL_STEPS := step01-uts/uts step02-pid/pid step03-mnt/mnt step04-cgroups/cgroups \
	step05-overlay/overlay step06-net/net step07-userns/userns
STEPS := $(foreach s,$(ALL_STEPS),$(if $(wildcard $(s).c),$(s)))

# Chapter 8 is the complete runtime, one source file per mechanism.
MINIDOCK_SRC := $(wildcard step08-full/*.c)
MINIDOCK := $(if $(MINIDOCK_SRC),step08-full/minidock)

.PHONY: all rootfs probe image bench demo test test-v2 doctor diff sizes clean clean-net

all: $(STEPS) $(MINIDOCK) build/probe

$(STEPS): %: %.c
	$(CC) $(CFLAGS) $(DEFS) -o $@ $<

step08-full/minidock: $(MINIDOCK_SRC) $(wildcard step08-full/*.h)
	$(CC) $(CFLAGS) $(DEFS) -pthread -o $@ $(MINIDOCK_SRC)

build/probe: tests/tools/probe.c
	@mkdir -p build
	$(CC) $(CFLAGS) -static -o $@ $<

probe: build/probe

rootfs: build/rootfs/.done

build/rootfs/.done: build/probe tests/tools/mkrootfs.sh
	sh tests/tools/mkrootfs.sh $(ROOTFS) build/probe
	touch $@

# make test: the chapters' sizes against their budgets (the tests run even
# when one is over, and make test fails after them), then every chapter
# against its own tests and all earlier chapters', then every README's
# commands as written (tests/readme.bats).
test: all rootfs
	@sh tests/tools/sizes.sh; sizes=$$?; bash tests/run.sh $(STEPS) $(MINIDOCK) readmes; \
	 tests=$$?; [ $$sizes -eq 0 ] || echo "make test: a chapter is over its size budget (make sizes)"; \
	 [ $$sizes -eq 0 ] && [ $$tests -eq 0 ]

# make test-step03: chapter 3's binary against chapters 1-3's tests.
test-step%: all rootfs
	@bash tests/run.sh $(filter step$*-%,$(STEPS) $(MINIDOCK))

# In throwaway cgroup-v2-only VMs: chapter 4's tests, then (unless STEP_BIN or
# TESTS picks one run) minidock's own.
V2_MINIDOCK_TESTS := tests/step08-run.bats tests/step08-lifecycle.bats tests/step08-security.bats \
	tests/step08-userns.bats tests/step08-volumes.bats
test-v2:
	@bash tests/vm/run.sh
	@[ -n "$(STEP_BIN)$(TESTS)" ] || STEP_BIN=step08-full/minidock VM_TIMEOUT=900 \
		TESTS="$(V2_MINIDOCK_TESTS)" bash tests/vm/run.sh

# A narrated tour of minidock: each fact shown from inside and from the host.
demo: all rootfs
	@sh step08-full/demo.sh

# Start-to-exit latency of every chapter against a floor and other runtimes.
bench: all rootfs
	@bash tests/tools/bench.sh

# Chapter 5's two-layer example image, under build/image/.
image: rootfs
	sh tests/tools/mkimage.sh $(ROOTFS) $(CURDIR)/build/image

# Chapter 6's bridge is shared by all containers and stays; this removes it.
clean-net:
	sh tests/tools/clean-net.sh

doctor: build/probe
	@sh tests/tools/doctor.sh build/probe

# make diff STEP=03: the lesson of chapter 3 in one screen.
diff:
	@test -n "$(STEP)" || { echo "usage: make diff STEP=NN"; exit 2; }
	@n=$$(expr $(STEP) + 0); \
	 new=$$(echo $(ALL_STEPS) | tr ' ' '\n' | sed -n "$${n}p"); \
	 old=$$(echo $(ALL_STEPS) | tr ' ' '\n' | sed -n "$$((n - 1))p"); \
	 test -n "$$new" -a -n "$$old" || { echo "no chapter $(STEP) or no chapter before it"; exit 2; }; \
	 diff -u $$old.c $$new.c || true

# Each chapter's lesson (make diff's added lines) and file against its budget.
sizes:
	@sh tests/tools/sizes.sh

clean:
	rm -rf build $(ALL_STEPS)

# ---- Workshop mode (WORKSHOP.md): starting points, checkers, exercises ----
.PHONY: workshop check check-exercise workshop-lint test-workshop

# make test also checks the WORKSHOP markers of the chapter sources.
test: workshop-lint

workshop-lint:
	@bash tests/workshop/lint.sh

# make workshop STEP=03: the participant's workspace, workshop/step03/.
workshop: all rootfs
	@bash tests/workshop/workspace.sh "$(STEP)"

# make check STEP=03: the workspace's program (or chapter 3's) against the claims.
check: all rootfs
	@CC="$(CC)" CFLAGS="$(CFLAGS)" bash tests/workshop/check.sh "$(STEP)"

# make check-exercise STEP=01 EX=2: exercise 2 of chapter 1.
check-exercise: all rootfs
	@test -n "$(EX)" || { echo "usage: make check-exercise STEP=NN EX=M"; exit 2; }
	@CC="$(CC)" CFLAGS="$(CFLAGS)" bash tests/workshop/check.sh "$(STEP)" "$(EX)"

# CI: every chapter's reference passes, its starting point and the previous
# chapter fail, every exercise's solution passes.
test-workshop: all rootfs
	@timeout 1200 bash tests/workshop/proof.sh $(STEP)
