# Two commands do everything on a fresh machine (see README):
#   make book   install, then execute every chapter and render the site into _build/html
#   make test   install, then run every test (unit tests and every notebook under nbval)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install book test clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -m pip install -q -r requirements.txt -e . 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -c "import torch, torchvision, helpers; print('torch', torch.__version__, '| torchvision', torchvision.__version__)"
	touch $@

book: install
	$(BIN)/jupyter-book build . -W -n --keep-going

test: install
	$(BIN)/pytest

clean:
	rm -rf _build
