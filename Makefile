# Two commands do everything on a fresh machine (see README):
#   make book   install, then execute every chapter and render the site into _build/html
#   make test   install, then run every test (unit tests and every notebook under nbval)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
BUDGET := $(or $(GANBOOK_BUDGET),full)

.PHONY: install book test clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -m pip install -q -r requirements.txt -e . 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -c "import torch, torchvision, helpers; print('torch', torch.__version__, '| torchvision', torchvision.__version__)"
	touch $@

# The execution cache is keyed on the notebooks, not on the budget: a build at another
# budget than the last one starts from a clean _build.
book: install
	@if [ -f _build/.budget ] && [ "$$(cat _build/.budget)" != "$(BUDGET)" ]; then \
		echo "budget changed to $(BUDGET): starting from a clean _build"; rm -rf _build; fi
	# Progress bars are for live readers; the pages keep fit()'s one-line summary instead.
	GANBOOK_BUDGET=$(BUDGET) TQDM_DISABLE=1 $(BIN)/jupyter-book build . -W -n --keep-going
	echo $(BUDGET) > _build/.budget

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf _build
