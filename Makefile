# mmrestore — two commands on a fresh machine:  `make demo`  and  `make test`.
# Both create .venv/ with the pinned stack on first use (`make setup`), then are fast.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Where a prebuilt mmcv 2.1.0 wheel (with ops) may be found; a locally built one is kept in
# wheelhouse/ so a second `make setup` never rebuilds it.
WHEELHOUSE ?= $(wildcard ../shared/wheels)
LOCAL_WHEELS := wheelhouse
REQS := requirements/runtime.txt requirements/tests.txt requirements/mim.txt requirements/build.txt setup.py
# CPU_ONLY=1: the same pins without the packages of requirements/cpu-only-omit.list (declared by
# mmagic / torch, unused on the CPU; README "What the dependencies cost"). A CPU-only .venv stays
# CPU-only for later `make test` / `make demo`; `make clean-venv` returns to the default set-up.
CPU_ONLY ?= $(if $(wildcard $(VENV)/.mmrestore-setup-cpu-only),1)
ifneq ($(strip $(CPU_ONLY)),1)
STAMP := $(VENV)/.mmrestore-setup
INSTALL_STACK = $(PY) -m pip install -q "$$whl" -r requirements/runtime.txt -r requirements/tests.txt
PIP_CHECK = $(PY) -m pip check
else
STAMP := $(VENV)/.mmrestore-setup-cpu-only
REQS += requirements/cpu-only-omit.list tools/setup_cpu_only.sh
INSTALL_STACK = tools/setup_cpu_only.sh install $(PY) "$$whl"
PIP_CHECK = tools/setup_cpu_only.sh check $(PY)
endif
PYTEST_ARGS ?=

.PHONY: setup test test-all demo bench clean-venv help

help:
	@echo "make demo   restore a short clip with the default model (creates .venv on first use)"
	@echo "make test   run the test suite (creates .venv on first use)"
	@echo "make setup  only create .venv with the pinned stack"
	@echo "make setup CPU_ONLY=1  a lighter .venv for CPU-only machines (same pins; see README)"
	@echo "make bench  run the benchmarks in benchmarks/"

setup: $(STAMP)

$(STAMP): $(REQS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/build.txt
	@whl=$$(ls $(WHEELHOUSE)/mmcv-2.1.0-*.whl $(LOCAL_WHEELS)/mmcv-2.1.0-*.whl 2>/dev/null | head -n1); \
	if [ -z "$$whl" ]; then \
	  echo "setup: no prebuilt mmcv 2.1.0 wheel found (WHEELHOUSE='$(WHEELHOUSE)'); building it"; \
	  $(PY) -m pip install -q "torch==2.14.1" "numpy>=1.26,<2" && \
	  tools/build_mmcv.sh $(PY) $(LOCAL_WHEELS) || exit 1; \
	  whl=$$(ls $(LOCAL_WHEELS)/mmcv-2.1.0-*.whl | head -n1); \
	fi; \
	echo "setup: using $$whl"; \
	$(INSTALL_STACK)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	$(PIP_CHECK)
	$(PY) -c "import mmrestore.registry, mmcv.ops, mmrestore; print('setup: mmrestore', mmrestore.__version__, 'ready')"
	@rm -f $(VENV)/.mmrestore-setup $(VENV)/.mmrestore-setup-cpu-only
	@touch $@

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

demo: setup
	$(PY) tools/demo.py

bench: setup
	$(PY) benchmarks/bench_models.py --size 256x448 --frames 5 --repeats 2 --threads 1
	$(PY) benchmarks/bench_restore.py --frames 12 --max-seq-len 8 --overlap 2 --chunk-frames 12
	$(PY) benchmarks/bench_restore_memory.py

clean-venv:
	rm -rf $(VENV)
