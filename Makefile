# The two commands a newcomer needs:
#   make demo   set up, then run the main job in the embedded sim
#   make test   set up, then build and pass every test
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup build test demo bench clean distclean

help:
	@echo "make demo       set up, then run the main job (see README)"
	@echo "make test       set up, colcon build, colcon test, colcon test-result"
	@echo "make setup      create .venv, install pinned deps, colcon build (idempotent)"
	@echo "make clean      remove build/ install/ log/"
	@echo "make distclean  also remove .venv/"

setup:
	@bash scripts/setup.sh

build: setup

test: setup
	@bash scripts/test.sh

demo: setup
	@bash scripts/demo.sh

clean:
	rm -rf build install log

distclean: clean
	rm -rf .venv
