# Attune: `make run` serves the dashboard with demo data; `make test` runs every check.
SHELL := /bin/bash
PORT ?= 8501
ATTUNE_DB ?= data/attune.duckdb
SIZES ?= 100000,1000000
export ATTUNE_DB

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

.PHONY: run test lint setup uv demo-db browser bench soak clean

run: setup demo-db
	$(UV) run streamlit run app.py --server.port $(PORT) --server.address localhost

# Tests that serve the app to a browser or to many sessions run alone (their waits are real time); all the
# others run on two workers, each test file in one worker (its module-scoped fixtures are built once).
SERVED_TESTS := tests/browser tests/reliability/test_concurrency.py
test: setup browser lint
	$(UV) run pytest -q -n 2 --dist loadfile $(SERVED_TESTS:%=--ignore=%)
	$(UV) run pytest -q $(SERVED_TESTS)

lint: setup
	$(UV) run ruff check .

setup: uv
	$(UV) sync --frozen --quiet

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		{ echo "Installing uv…"; python3 -m pip install --quiet uv; }

# The demo database, built from the committed sample exports when it is not there yet.
demo-db: setup
	@test -f "$(ATTUNE_DB)" || { echo "Building the demo database $(ATTUNE_DB) from data/sample/…"; \
		$(UV) run attune import data/sample/*.csv --db "$(ATTUNE_DB)"; }

# Debian's chromium for the browser tests (needs root or sudo; CI runs as root).
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "Installing chromium…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
		|| echo "Could not install chromium: browser tests will be skipped (or fail under CI=true)."; }

bench: setup
	$(UV) run python -m bench.run --sizes $(SIZES)

soak: setup browser
	$(UV) run pytest -q -m soak

clean:
	rm -rf .venv .pytest_cache .ruff_cache
