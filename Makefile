# The two commands: `make run` (set up, sample data, Dagster UI) and `make test`.
.PHONY: setup run test bench lint

setup:
	bash scripts/setup.sh

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

bench: setup
	.venv/bin/python benchmarks/run_all.py

lint: setup
	.venv/bin/python -W error::DeprecationWarning -c "import pipeline_ops.definitions"
