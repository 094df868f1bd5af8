# "LSTMs and attention, by analogy": set-up, book, assignments, tests.
#   make book   create .venv, install pinned dependencies, build the book
#   make test   create .venv if needed, lint, run every test (book build included)
#   make help   one line per target
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
JB_FLAGS := -n -W --keep-going
PORT ?= 8000

.PHONY: help env system-deps book-prereqs book book-cold serve assignments test test-fast lint \
	fixtures bench clean

help:
	@echo "make help          list the targets (this text)"
	@echo "make env           create .venv with the pinned dependencies and course_pkg (editable)"
	@echo "make system-deps   install Debian's chromium, bubblewrap and postgresql for the tests (as root)"
	@echo "make book-prereqs  vendor MathJax, write the student notebooks, guard the book cache"
	@echo "make book          set up .venv and build the book into _build/html (chapters run in parallel)"
	@echo "make book-cold     build the book from scratch (clears _build and the cache)"
	@echo "make serve         serve the built book on http://localhost:$(PORT)"
	@echo "make assignments   regenerate the assignment notebooks from assignments/<id>/<id>.py"
	@echo "make lint          ruff, and check that the assignment notebooks are up to date"
	@echo "make test-fast     lint + every test except book, browser and nbgrader ones"
	@echo "make test          set up .venv and run lint + every test (builds the book)"
	@echo "make fixtures      regenerate the PyTorch golden fixtures (needs torch)"
	@echo "make bench         run the benchmarks in benchmarks/"
	@echo "make clean         remove build outputs, caches and book/_student"

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)
	@echo "environment ready in $(VENV)"

env: $(STAMP)

# Debian's chromium for the browser tests (never `playwright install`),
# bubblewrap for the grading sandbox (course_pkg/instructor/sandbox.py) and
# postgresql for the PostgreSQL gradebook tests (the test fixture starts its own
# server in a temporary directory; the Debian service is not used).
system-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: /usr/bin/chromium is missing; browser tests will be skipped (apt-get install chromium)"; fi
	@if [ -x /usr/bin/bwrap ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's bubblewrap for the grading sandbox"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	else echo "note: /usr/bin/bwrap is missing; student kernels would run without the grading sandbox and the sandbox tests are skipped (apt-get install bubblewrap)"; fi
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's postgresql for the PostgreSQL gradebook tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "note: PostgreSQL is missing; the PostgreSQL gradebook tests are skipped (apt-get install postgresql)"; fi

# The book's prerequisites: MathJax vendored from the npm registry (the site
# loads nothing from outside itself) and the student notebooks it links to.
book-prereqs: env
	bash scripts/vendor_mathjax.sh
	$(BIN)/course export-student --out book/_student
	$(PY) scripts/cache_guard.py

# scripts/execute_book.py executes the chapters the cache lacks, one per core,
# into the execution cache; jupyter-book then takes every chapter from it.
book: book-prereqs
	$(PY) scripts/execute_book.py
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The book is in $(CURDIR)/_build/html/index.html (or run: make serve)"

book-cold: env
	rm -rf _build .jupyter_cache
	$(MAKE) book

serve: book
	@echo "Serving on http://localhost:$(PORT) (Ctrl-C to stop)"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# The instructor notebooks course_pkg/instructor/data/assignments/<id>/<id>.ipynb
# are generated from the jupytext sources assignments/<id>/<id>.py.
assignments: env
	$(PY) scripts/build_assignments.py

lint: env
	$(BIN)/ruff check .
	$(PY) scripts/build_assignments.py --check

test-fast: lint
	$(BIN)/pytest -m "not book and not browser and not nbgrader"

test: env system-deps lint book
	$(BIN)/pytest

# Regenerate the PyTorch golden fixtures (needs: .venv/bin/pip install torch==2.13.0).
fixtures: env
	$(PY) scripts/make_torch_fixtures.py
	$(PY) scripts/make_attention_fixtures.py
	$(PY) scripts/make_stacked_fixtures.py

bench: env
	$(PY) benchmarks/bench_rnn_vs_torch.py
	$(PY) benchmarks/report_numerics.py
	$(PY) benchmarks/bench_experiments.py
	$(PY) benchmarks/bench_assignments.py
	$(PY) benchmarks/bench_trusted_grading.py
	$(PY) benchmarks/bench_sandbox.py
	$(PY) benchmarks/bench_cli_startup.py
	$(PY) benchmarks/bench_grading.py
	$(PY) benchmarks/bench_book_build.py

clean:
	rm -rf _build .jupyter_cache .pytest_cache test-artifacts book/_student
