# HPH Tracker: `make demo` runs the seeded demo, `make test` runs every check and test.
# Both create their own virtual environment in .venv (Python 3.11 or newer).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: setup demo test lint unit messages vendor vendor-gzip bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "HPH Tracker needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: setup
	$(BIN)/hph demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy app

test: lint
	$(BIN)/python -m pytest -n 2 --durations=20 $(PYTEST_ARGS)

messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k gettext_in:2 -k translated -k say -k N_ \
		--no-location --sort-output -o app/locale/messages.pot .
	$(BIN)/pybabel update -i app/locale/messages.pot -d app/locale -D messages --no-fuzzy-matching

vendor:
	npm install --no-save --no-audit --no-fund
	cp node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx-$$(node -p "require('htmx.org/package.json').version").min.js
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js app/static/vendor/swagger-ui-bundle-$$(node -p "require('swagger-ui-dist/package.json').version").js
	cp node_modules/swagger-ui-dist/swagger-ui.css app/static/vendor/swagger-ui-$$(node -p "require('swagger-ui-dist/package.json').version").css
	node_modules/.bin/esbuild app/static/src/workbox-entry.js --bundle --minify --format=iife --global-name=workbox \
		--define:process.env.NODE_ENV='"production"' \
		--outfile=app/static/vendor/workbox-$$(node -p "require('workbox-routing/package.json').version").sw.js
	$(MAKE) vendor-gzip

# A gzip twin of each vendored file, served to browsers that take gzip (app/core/static.py).
vendor-gzip:
	rm -f app/static/vendor/*.gz
	for f in app/static/vendor/*.js app/static/vendor/*.css; do gzip -9 -n -k -f "$$f"; done

bench: setup
	$(BIN)/python bench/durability.py
	$(BIN)/python bench/engine.py --scale 70 --backend both
	$(BIN)/python bench/chart_cli.py
	$(BIN)/python bench/my_day.py
	$(BIN)/python bench/risks.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache hph.db hph.db-*
