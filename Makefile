# The two commands the README leads with:
#   make demo   the main job end to end on embedded defaults (SQLite, eager Celery)
#   make test   lint, types and the test suite against PostgreSQL, Redis and a real worker
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/nigran
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
ENGINE := enforcement/camera_config.py enforcement/events.py enforcement/geometry.py \
	enforcement/video.py enforcement/decoding.py enforcement/frames.py enforcement/detection.py enforcement/tracking.py \
	enforcement/signals.py enforcement/detectors enforcement/evidence.py \
	enforcement/overlay.py enforcement/pipeline.py enforcement/plate_size.py ocr

.PHONY: demo test install lint services system-packages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) manage.py demo

system-packages:
	bash scripts/install_system_packages.sh

services:
	bash scripts/ensure_services.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(ENGINE)

test: install services lint
	DATABASE_URL=$(TEST_DATABASE_URL) NIGRAN_TEST_REDIS_URL=$(TEST_REDIS_URL) \
		$(VENV)/bin/pytest
