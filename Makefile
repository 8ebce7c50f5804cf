# The two commands a newcomer needs:
#   make demo   set up, then run the main job in the embedded sim
#   make test   set up, then build and pass every test
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup build test fuzz soak demo bench clean distclean

help:
	@echo "make demo       set up, then run the main job (see README); RTF=0: as fast as possible"
	@echo "make test       set up, colcon build, colcon test, colcon test-result"
	@echo "make fuzz       set up, then fuzz the tree, world and robot loaders at length"
	@echo "make soak       set up, then run navigation missions back to back for SOAK_MINUTES (30)"
	@echo "make setup      create .venv, install pinned deps, colcon build (idempotent)"
	@echo "make clean      remove build/ install/ log/"
	@echo "make distclean  also remove .venv/"

setup:
	@bash scripts/setup.sh

build: setup

test: setup
	@bash scripts/test.sh

# The fuzzers (test/fuzz of orchestrator_pkg and orchestrator_sim) with the long
# hypothesis profile: FUZZ_EXAMPLES random examples per test (make test runs a
# fixed, derandomized budget); failures are kept in build/hypothesis-fuzz.
FUZZ_EXAMPLES ?= 5000
fuzz: setup
	@source scripts/underlay.sh && source install/setup.bash && \
	export ORCHESTRATOR_FUZZ=long ORCHESTRATOR_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	    ORCHESTRATOR_FUZZ_DB="$(CURDIR)/build/hypothesis-fuzz" && \
	for package in orchestrator_pkg orchestrator_sim; do \
	    (cd $$package && python -m pytest -q -p no:cacheprovider --timeout 7200 \
	        test/fuzz) || exit 1; \
	done

# The soak (orchestrator_pkg/soak, outside make test): navigation missions back to
# back against one stack for SOAK_MINUTES of wall time; 0 lost goals, no node dead,
# RSS and open descriptors stable. It prints a table per node.
SOAK_MINUTES ?= 30
soak: setup
	@source env.sh && cd orchestrator_pkg && \
	SOAK_MINUTES=$(SOAK_MINUTES) python -m orchestrator_pkg.testing.ros_domain -- \
	    python -m pytest -q -s -p no:cacheprovider \
	    --timeout $$(python -c "print(int($(SOAK_MINUTES) * 60 + 900))") soak

# RTF=0 runs the demo as fast as possible (the sim waits for the stack: docs/sim.md)
demo: setup
	@bash scripts/demo.sh $(if $(RTF),--rtf $(RTF))

clean:
	rm -rf build install log

distclean: clean
	rm -rf .venv
