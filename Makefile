# The two README commands: `make test` and `make reproduce`. Each sets up what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.wsss_nb-installed
PRESET ?= default
# Tests generate the embedded benchmark into a cache of their own, so a stale user cache cannot hide a bug.
TEST_DATA ?= $(CURDIR)/.cache/test-data

.PHONY: install test check-drift nbtest pytest test-browser bench-spectral reproduce pretrain check docs readme hooks clean

$(STAMP): settings.ini setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# The notebooks are the source of truth: exporting must not change the library, cleaning must not change
# the notebooks, and README.md must be nbs/index.ipynb rendered.
check-drift: install
	@bash .ci/check_drift.sh $(BIN)

nbtest: install
	WSSS_NB_PRESET=smoke WSSS_NB_DATA=$(TEST_DATA) $(BIN)/nbdev_test --n_workers 2 --timing

pytest: install
	WSSS_NB_PRESET=smoke WSSS_NB_DATA=$(TEST_DATA) $(BIN)/python -m pytest -q tests

test: check-drift nbtest pytest

# The cluster annotator in a real JupyterLab, clicked through by chromium (tests/test_browser.py; not part of `make test`).
# Needs Debian's browser and driver: `apt-get install chromium chromium-driver`; selenium comes with `.[dev]`.
# WSSS_NB_SCREENSHOT=path keeps the screenshot of the annotator (default: pytest's tmp dir).
test-browser: install
	WSSS_NB_PRESET=smoke $(BIN)/python -m pytest -q -rs --browser tests/test_browser.py

# Spectral clustering speed and memory: sklearn at 5k/10k beside ours at 5k..1M patterns of 512-d (~2 min, 2.3 GB).
bench-spectral: install
	$(BIN)/python -m wsss_nb.spectral

# Training images/s of every chapter's Learner: 1 process x 2 threads vs 2 processes x 1 thread, 1 GPU fp32/bf16 when present
# (figures/throughput.md + .json, nbs/09_throughput.ipynb; a few minutes on 2 cores, on an otherwise idle machine).
.PHONY: throughput
throughput: install
	$(BIN)/python -m wsss_nb.throughput

reproduce: install
	$(BIN)/wsss_nb_reproduce --preset $(PRESET)

# Regenerate the shipped pretrained CPU body and its card (wsss_nb/weights/, nbs/07_pretrain.ipynb; ~5 min on 2 cores).
pretrain: install
	$(BIN)/python -c "from wsss_nb.pretrain import main; main(threads=2)"

# Which committed figures are stale (their RUN.json commit predates a change to the chapter or a module it imports).
check: install
	$(BIN)/wsss_nb_reproduce --check

# A static HTML site of the executed chapters (runs/default/, else the committed notebooks) in _docs/, offline.
docs: install
	$(BIN)/python .ci/make_docs.py --preset $(PRESET)

readme: install
	@$(BIN)/python .ci/make_readme.py

hooks: install
	$(BIN)/nbdev_install_hooks

clean:
	rm -rf runs _proc _docs .pytest_cache .cache
