#!/usr/bin/env bash
# Install loan_engine with its test dependencies and run the whole test suite.
# Extra arguments go to pytest. Set TEST_DATABASE_URL=postgresql://… to also run against PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
# Inside a virtual environment: install there. A system Python that refuses pip installs (PEP 668, e.g. Debian's)
# gets the project's own .venv (with the system's site packages, so nothing installed twice); any other Python is
# used as it is.
PY=python3
if ! python3 -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' 2>/dev/null \
   && python3 -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))' 2>/dev/null; then
  [ -x .venv/bin/python ] || python3 -m venv --system-site-packages .venv
  PY=.venv/bin/python
fi
"$PY" -m pip install --quiet --disable-pip-version-check -e '.[test]'
# The browser end-to-end tests (tests/e2e) drive Debian's headless Chromium through chromedriver.
if ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium and chromium-driver for the browser tests (apt-get)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  else
    echo "warning: chromium/chromedriver missing and not root: the browser tests will skip (fail when CI=true)" >&2
  fi
fi
exec "$PY" -m pytest "$@"
