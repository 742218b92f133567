# `make run` and `make test` set up what they need (a .venv, the install, a browser for tests).
PY := .venv/bin/python
STAMP := .venv/.flowscope-installed

.PHONY: run test test-fast test-screens bench clean

$(STAMP): pyproject.toml scripts/setup-venv.sh
	bash scripts/setup-venv.sh test
	touch $@

run: $(STAMP)
	.venv/bin/flowscope $(ARGS)

test: $(STAMP)
	bash scripts/ensure-browser.sh
	node --test --test-timeout=120000 tests/frontend/
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not e2e"

# Every page and the room card at the five screens (phone, tablet, 1024, laptop, projector): one
# browser, one server, about a minute on 2 cores — the layout check a CI job runs on every change.
test-screens: $(STAMP)
	bash scripts/ensure-browser.sh
	$(PY) -m pytest -q tests/e2e/test_every_screen.py

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf .venv build *.egg-info .pytest_cache
