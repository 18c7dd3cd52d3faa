# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test install test-install browser r postgres clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test,spark,assess]'
	touch $@

install: $(VENV)/.installed

test-install: $(VENV)/.test-installed

# Synthesise a service (20,000 referrals, seed 1), audit it, write tincheck-demo/report.html
demo: $(VENV)/.installed
	$(VENV)/bin/tincheck demo --referrals 20000 --seed 1 --out tincheck-demo

# The report's browser test opens the demo report in headless Chromium (Debian's
# chromium and chromium-driver). Installed here when missing, as root (CI runs as
# root); elsewhere the test skips with the reason, unless TINCHECK_REQUIRE_BROWSER=1.
browser:
	@if dpkg -s chromium chromium-driver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium and chromium-driver (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium chromium-driver >/dev/null \
	  || echo "could not install chromium: the browser test will skip"; \
	else echo "chromium missing: run 'sudo apt-get install chromium chromium-driver'" \
	  "for the browser test"; fi

# The meta-analysis tests regenerate their metafor reference values with R
# (tools/metafor_reference.R; Debian's r-base-core and r-cran-metafor, which brings
# metadat). Installed here when missing, as root; elsewhere that test skips with the
# reason, unless TINCHECK_REQUIRE_R=1.
r:
	@if dpkg -s r-base-core r-cran-metafor >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing r-base-core and r-cran-metafor (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends r-base-core r-cran-metafor >/dev/null \
	  || echo "could not install R: the metafor regeneration test will skip"; \
	else echo "R missing: run 'sudo apt-get install r-base-core r-cran-metafor'" \
	  "for the metafor regeneration test"; fi


# The interview app's tests run on SQLite and on a throwaway PostgreSQL cluster (Debian's
# postgresql; initdb and pg_ctl run as the postgres user). Installed here when missing,
# as root; elsewhere those tests skip with the reason, unless TINCHECK_REQUIRE_POSTGRES=1.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing postgresql (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends postgresql >/dev/null \
	  || echo "could not install postgresql: the PostgreSQL tests will skip"; \
	else echo "postgresql missing: run 'sudo apt-get install postgresql' for the" \
	  "PostgreSQL tests of the interview app"; fi

test: $(VENV)/.test-installed browser r postgres
	$(PY) -m pytest -n 2 --dist loadgroup

.PHONY: bench
bench: $(VENV)/.installed  # BENCH_ARGS="--repeat 2 --spark": variance, and DuckDB vs Spark
	$(PY) benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
