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

.PHONY: all rootfs probe image bench demo test test-v2 test-engines doctor diff sizes clean clean-net

all: $(STEPS) $(MINIDOCK) build/probe

$(STEPS): %: %.c
	$(CC) $(CFLAGS) $(DEFS) -o $@ $<

step08-full/minidock: $(MINIDOCK_SRC) $(wildcard step08-full/*.h)
	$(CC) $(CFLAGS) $(DEFS) -pthread -o $@ $(MINIDOCK_SRC)

build/probe: tests/tools/probe.c
	@mkdir -p build
	$(CC) $(CFLAGS) -static -o $@ $<

probe: build/probe

# What the rootfs is made of: auto (a static busybox if the host has one, else
# the host's binaries), busybox or host. The tests pass with either; CI runs both.
ROOTFS_FROM ?= auto

rootfs: build/rootfs/.done

build/rootfs/.done: build/probe tests/tools/mkrootfs.sh build/rootfs-from
	ROOTFS_FROM=$(ROOTFS_FROM) sh tests/tools/mkrootfs.sh $(ROOTFS) build/probe
	touch $@

# Rewritten only when ROOTFS_FROM changes, so the rootfs is rebuilt just then.
build/rootfs-from: FORCE
	@mkdir -p build
	@[ "$$(cat $@ 2>/dev/null)" = "$(ROOTFS_FROM)" ] || echo "$(ROOTFS_FROM)" > $@

FORCE:

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

# In throwaway cgroup-v2-only VMs: chapter 4's tests and its README's commands,
# then (unless STEP_BIN or TESTS picks one run) minidock's own and its README's.
V2_MINIDOCK_TESTS := tests/step08-run.bats tests/step08-lifecycle.bats tests/step08-security.bats \
	tests/step08-userns.bats tests/step08-volumes.bats tests/step08-cgroup-v2.bats
test-v2:
	@if [ -n "$(STEP_BIN)$(TESTS)" ]; then bash tests/vm/run.sh; else \
		TESTS="tests/step04.bats tests/readme.bats" README=step04-cgroups/README.md \
		bash tests/vm/run.sh; fi
	@[ -n "$(STEP_BIN)$(TESTS)" ] || STEP_BIN=step08-full/minidock VM_TIMEOUT=1200 \
		TESTS="$(V2_MINIDOCK_TESTS) tests/readme.bats" README=step08-full/README.md \
		BATS_TEST_TIMEOUT=300 bash tests/vm/run.sh

# Real engines (podman, containerd, Docker) drive minidock-oci in runc's place:
# tests/engines/install.sh installs them (services never started), then each
# test starts its own engine beneath a temporary directory. Not part of make test.
# One engine alone: make test-engines ENGINE_TESTS=tests/engines/docker.bats
ENGINE_TESTS ?= tests/engines/docker.bats tests/engines/podman.bats tests/engines/containerd.bats
test-engines: all rootfs
	@sh tests/engines/install.sh
	@BATS_TEST_TIMEOUT=300 bats --tap $(ENGINE_TESTS)

# A narrated tour of minidock: each fact shown from inside and from the host.
demo: all rootfs
	@sh step08-full/demo.sh

# Start-to-exit latency of every chapter against a floor and other runtimes,
# then minidock-oci under Docker and podman against runc (tests/engines/bench.sh).
bench: all rootfs
	@bash tests/tools/bench.sh

# Chapter 5's two-layer example image, under build/image/.
image: rootfs
	sh tests/tools/mkimage.sh $(ROOTFS) $(CURDIR)/build/image

# Chapter 6's bridge minidock0 is shared by all containers and stays; this
# removes it and its leases (make clean-net BRIDGES='minidock-lab' for others).
clean-net:
	sh tests/tools/clean-net.sh $(BRIDGES)

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
	rm -rf build $(ALL_STEPS) step08-full/minidock step08-full/minidock-oci

# ---- reliability (issue 13) ----
# The TIOCSTI test's terminal (tests/step08-reliability.bats), static so it also runs inside a container.
all: build/ptyrun
build/ptyrun: tests/tools/ptyrun.c
	@mkdir -p build
	$(CC) $(CFLAGS) -static -o $@ $<

# Chapter 8's OCI face (oci.c): the same binary, called as minidock-oci, speaks runc's command line.
ifneq ($(MINIDOCK),)
all: step08-full/minidock-oci
endif
step08-full/minidock-oci: step08-full/minidock
	ln -sf minidock $@
all: build/console-recv

# The engine's end of --console-socket, for tests/step08-oci.bats.
build/console-recv: tests/tools/console-recv.c
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ $<
all: build/sha256-test

# sha256.c against FIPS 180-4's examples, for tests/step08-image-archive.bats.
build/sha256-test: tests/tools/sha256-test.c step08-full/sha256.c step08-full/sha256.h
	@mkdir -p build
	$(CC) $(CFLAGS) -Istep08-full -o $@ tests/tools/sha256-test.c step08-full/sha256.c

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
# json.c under the sanitizers against mutated input: long, so not part of make test.
.PHONY: fuzz-json
fuzz-json:
	@mkdir -p build
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
		-Istep08-full -o build/json-fuzz tests/tools/json-fuzz.c step08-full/json.c
	build/json-fuzz $(or $(N),2000000)
# Seeded random kills of callers, monitors (paused or not), exec and import
# (tests/tools/faults-random.sh): KILLS=100, SEED= to replay. Not in make test.
KILLS ?= 100
test-faults: all rootfs
	@bash tests/tools/faults-random.sh $(KILLS) $(SEED)
.PHONY: test-faults

# 500 sequential and 50 concurrent (10 at a time) runs with limits and a bridge,
# 100 detached containers started, listed, stopped and removed (tests/tools/churn.sh).
test-churn: all rootfs
	@bash tests/tools/churn.sh
.PHONY: test-churn

# Sanitizers: every program with -fsanitize=address,undefined, against the tests
# make test runs (tests/tools/sanitize.sh); memcheck on a run/exec/stop/rm cycle.
check-sanitize: all rootfs
	@bash tests/tools/sanitize.sh
check-valgrind: all rootfs
	@bash tests/tools/valgrind.sh

# libFuzzer targets (clang -fsanitize=fuzzer) for the tar importer, the state
# reader and the command-line parsers; seeds in tests/fuzz/corpus/. make fuzz
# runs each FUZZ_TIME seconds (600), fuzz-ci 30; findings go to build/fuzz/. A fuzzer's
# scratch directory (/tmp/minidock-fuzz-T.*: libFuzzer gives no teardown) goes after it.
FUZZ_TARGETS := tar state cli
FUZZ_TIME ?= 600
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-Werror -DDEFAULT_ROOTFS='"/nonexistent"' -pthread
build/fuzz/fuzz_tar build/fuzz/fuzz_state: build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(MINIDOCK_SRC)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(filter-out step08-full/main.c,$(MINIDOCK_SRC))
build/fuzz/fuzz_cli: tests/fuzz/fuzz_cli.c $(MINIDOCK_SRC)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(filter-out step08-full/main.c step08-full/run.c,$(MINIDOCK_SRC))
fuzz: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus-$$t build/fuzz/findings-$$t; \
		echo "== fuzz_$$t: $(FUZZ_TIME) s"; \
		before=" $$(echo /tmp/minidock-fuzz-$$t.*) "; \
		build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -close_fd_mask=3 -print_final_stats=1 \
			-artifact_prefix=build/fuzz/findings-$$t/ build/fuzz/corpus-$$t tests/fuzz/corpus/$$t \
			>build/fuzz/fuzz_$$t.log 2>&1; st=$$?; \
		for d in /tmp/minidock-fuzz-$$t.*; do \
			case $$before in *" $$d "*) ;; *) [ ! -d "$$d" ] || rm -rf "$$d" ;; esac; \
		done; \
		grep -E '^stat::(number_of_executed_units|new_units_added)' build/fuzz/fuzz_$$t.log; \
		[ $$st = 0 ] || { tail -n 40 build/fuzz/fuzz_$$t.log; exit 1; }; \
	done
fuzz-ci:
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz-ci: skipped: no $(FUZZ_CC) (apt-get install clang)"; exit 0; }; \
	$(MAKE) --no-print-directory fuzz FUZZ_TIME=30
.PHONY: check-sanitize check-valgrind fuzz fuzz-ci
all: build/seccomp-agent

# The seccomp agent on a profile's listenerPath, for tests/step08-seccomp.bats.
build/seccomp-agent: tests/tools/seccomp-agent.c
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ $<
