# Shortcuts; the README's two commands need none of them.
PY := .venv/bin/python

.PHONY: test protos bench bench-quick lint

test:
	scripts/test.sh

protos:
	$(PY) scripts/gen_protos.py

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

# Every benchmark in full mode, then docs/benchmarks.md from the results.
bench:
	$(PY) -m bench.parser
	$(PY) -m bench.service
	$(PY) -m bench.executor
	$(PY) -m bench.incremental
	$(PY) -m bench.zoo
	$(PY) -m bench.halving
	$(PY) -m bench.search_vs_enumeration
	$(PY) -m bench.scaleout
	$(PY) -m bench.report

bench-quick:
	for b in parser service executor incremental halving search_vs_enumeration scaleout; do $(PY) -m bench.$$b --quick || exit 1; done
	$(PY) -m bench.report
