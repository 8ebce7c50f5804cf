# The two commands a newcomer needs:
#   make demo   set up, then run the main job in the embedded sim
#   make test   set up, then build and pass every test
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup build test fuzz demo bench clean distclean

help:
	@echo "make demo       set up, then run the main job (see README)"
	@echo "make test       set up, colcon build, colcon test, colcon test-result"
	@echo "make fuzz       set up, then fuzz the tree, world and robot loaders at length"
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

demo: setup
	@bash scripts/demo.sh

clean:
	rm -rf build install log

distclean: clean
	rm -rf .venv
