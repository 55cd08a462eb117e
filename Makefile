# tiaojie: `make run` starts the bot with the sandbox gateway, `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench model clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

run: install
	$(BIN)/tiaojie run

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/eval_parser.py
	$(BIN)/python bench/parse_speed.py

# Retrain the complaint detector from training/ and ../shared/corpus (CORPUS=... to move it);
# prints cross-validated figures per source and rewrites mediation/parsing/data/detector.json.
CORPUS ?= ../shared/corpus
model: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,train]"
	$(BIN)/python training/train_detector.py --corpus $(CORPUS)

clean:
	rm -rf $(VENV) .pytest_cache
