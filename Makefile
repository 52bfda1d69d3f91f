# Two commands do everything on a fresh machine (see README):
#   make book   install, then execute every chapter and render the site into _build/html
#   make test   install, then run every test (unit tests and every notebook under nbval)
#   make lab    install, then open the chapters in JupyterLab
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
BUDGET := $(or $(GANBOOK_BUDGET),full)
# What the chapters' outputs depend on besides their own code: the budget and every
# helpers module. jupyter-cache keys on a notebook's code cells only, so a change here
# must empty the execution cache by hand (trained models stay in GANBOOK_CACHE, where
# each entry is checked against the code that trained it).
INPUTS = $(BUDGET) $$(cat $$(find helpers -name '*.py' | LC_ALL=C sort) | sha256sum | cut -c1-16)

.PHONY: install book test lab clean

install: $(VENV)/.installed node_modules/.installed

# No "|| true" and no pipe that hides pip's exit status: a failed install stops here.
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -e .
	$(BIN)/python -c "import torch, torchvision, helpers; print('torch', torch.__version__, '| torchvision', torchvision.__version__)"
	touch $@

# The page's JavaScript (onnxruntime-web), exactly as package-lock.json pins it.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

book: install
	@inputs="$(INPUTS)"; \
	if [ -f _build/.inputs ] && [ "$$(cat _build/.inputs)" != "$$inputs" ]; then \
		echo "the budget or helpers/ changed since the last build ($$(cat _build/.inputs) -> $$inputs): executing every chapter again"; \
		rm -rf _build; fi
	# Progress bars are for live readers; the pages keep fit()'s one-line summary instead.
	# The chapters export what their kernel-free panels need into _build/page-assets.
	# They execute in parallel lanes first (GANBOOK_LANES, default two); the build then
	# finds every chapter in jupyter-cache and renders.
	export GANBOOK_BUDGET=$(BUDGET) TQDM_DISABLE=1 GANBOOK_PAGE_ASSETS=$(CURDIR)/_build/page-assets; \
		$(BIN)/python _ext/execute_chapters.py && \
		$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "$(INPUTS)" > _build/.inputs

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The chapters in JupyterLab, run by this environment's kernel (the helpers, the data
# root and the model cache as the build uses them); GANBOOK_BUDGET=quick for fast runs.
lab: install
	$(BIN)/jupyter lab --ServerApp.root_dir=book

clean:
	rm -rf _build
