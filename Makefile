# The two commands a newcomer needs: `make dev` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
TARGET_PY := 3.10
WHEELS := .cache/wheels
DEV_ENV := RETAIL_ENV=dev
EAGER_COPY := .cache/eager-imports
CRUD_SPEC := .cache/mongodb-crud-spec

CONSOLE := console/node_modules/.package-lock.json
MINIPROGRAM := miniprogram/node_modules/.package-lock.json

.PHONY: dev test lint schemas package image bench console miniprogram clean check-config

$(INSTALLED): requirements.txt requirements-cos.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# Runtime wheels for the packaging test: for SCF's Python ($(TARGET_PY), manylinux) and this one.
$(WHEELS)/.done: requirements.txt requirements-cos.txt $(INSTALLED)
	$(PY) -m pip download --quiet -r requirements.txt -r requirements-cos.txt \
		-d $(WHEELS)/target --only-binary=:all: \
		--implementation cp --python-version $(TARGET_PY) \
		--platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64
	$(PY) -m pip download --quiet -r requirements.txt -r requirements-cos.txt \
		-d $(WHEELS)/local --only-binary=:all:
	touch $@

# MongoDB's CRUD specification tests, as the source distribution of the pymongo that
# requirements.txt pins ships them: fetched from PyPI, not copied here (decision 0018).
$(CRUD_SPEC)/.done: requirements.txt $(INSTALLED)
	rm -rf $(CRUD_SPEC) && mkdir -p $(CRUD_SPEC)/sdist
	$(PY) -m pip download --quiet --no-deps --no-binary :all: -d $(CRUD_SPEC)/sdist \
		"$$(grep '^pymongo==' requirements.txt)"
	tar -xzf $(CRUD_SPEC)/sdist/pymongo-*.tar.gz -C $(CRUD_SPEC) --wildcards \
		--strip-components=4 '*/test/crud/unified/*.json'
	rm -rf $(CRUD_SPEC)/sdist
	touch $@

# The console's one front-end dependency (Apache ECharts), pinned by console/package-lock.json.
$(CONSOLE): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
console: $(CONSOLE) $(INSTALLED)
	$(PY) scripts/build_console.py --bundle

# The sample mini-program's test tools (jest, miniprogram-simulate, TypeScript and the WeChat
# API typings), pinned by miniprogram/package-lock.json.
$(MINIPROGRAM): miniprogram/package.json miniprogram/package-lock.json
	cd miniprogram && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
miniprogram: $(MINIPROGRAM)

# Your local settings, from .env.example (dev) unless you have a .env already: every script
# README prints reads it, so each works as printed after `make dev`.
.env:
	cp .env.example .env

dev: .env $(INSTALLED) $(CONSOLE) $(MINIPROGRAM)
	$(DEV_ENV) $(PY) scripts/init_db.py
	$(DEV_ENV) $(PY) scripts/seed.py infra/seed/demo.json
	$(DEV_ENV) RETAIL_LOG_LEVEL=WARNING $(PY) scripts/demo_traffic.py
	@echo "Console: http://127.0.0.1:8787/console/ (admin / demo-admin-password)"
	@echo "Try: curl -s -XPOST 127.0.0.1:8787/fn/catalog_browse -H 'X-Dev-Openid: o1' -d '{}'"
	$(DEV_ENV) $(PY) scripts/dev_server.py --host 127.0.0.1 --port 8787 --workers 2

test: $(INSTALLED) $(WHEELS)/.done $(CRUD_SPEC)/.done $(CONSOLE) $(MINIPROGRAM)
	scripts/ensure_chromium.sh
	$(PY) -m pytest

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	@# The domain packages import lazily (decision 0014), so the __init__.py files import
	@# nothing import-linter can see; check the contracts again on a copy where each
	@# package's stub is its __init__.py, i.e. with the chains that go through a package.
	rm -rf $(EAGER_COPY) && mkdir -p $(EAGER_COPY) && cp -r layers/retail/retail devkit/retail_dev $(EAGER_COPY)/
	for stub in $(EAGER_COPY)/retail/*/__init__.pyi; do cp $$stub $${stub%i}; done
	PYTHONPATH=$(EAGER_COPY) $(VENV)/bin/lint-imports --no-cache

# Before a deploy, in the shell that holds the production settings (scripts/check_config.py).
check-config: $(INSTALLED)
	$(PY) scripts/check_config.py

schemas: $(INSTALLED)
	$(PY) scripts/gen_schemas.py
	$(PY) scripts/cloudbase_rules.py

package: $(INSTALLED) $(WHEELS)/.done $(CONSOLE)
	$(PY) scripts/package.py --wheels $(WHEELS)/target --python-version $(TARGET_PY)
	$(PY) scripts/build_console.py

# The image `scf deploy` ships (image/Dockerfile), where a Docker engine runs: its layers are
# built from the same Python 3.10 manylinux wheels as `make package`'s, with the WeChat Pay key
# files the shell names (so it goes to a private repository only; decision 0024).
IMAGE ?= retail:local
image: $(INSTALLED) $(WHEELS)/.done
	$(PY) scripts/scf_cli.py keys --check
	$(PY) scripts/package.py --wheels $(WHEELS)/target --python-version $(TARGET_PY) --image
	trap 'rm -rf dist/image/keys' EXIT; \
		$(PY) scripts/scf_cli.py keys dist/image && \
		docker build --platform linux/amd64 -f image/Dockerfile -t $(IMAGE) .

bench: $(INSTALLED)
	$(PY) bench/store_bench.py
	$(PY) bench/cold_start.py
	$(PY) bench/image_start.py

clean:
	rm -rf dist .cache .pytest_cache .mypy_cache .ruff_cache
