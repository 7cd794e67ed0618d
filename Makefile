# Shortcuts for the commands in CONTRIBUTING.md.
VENV ?= .venv

.PHONY: install lint test serve ci
install:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -e '.[dev]'
lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy && $(VENV)/bin/lint-imports
test:
	$(VENV)/bin/pytest
serve:
	$(VENV)/bin/moderation serve
ci:
	bash .ci/run
