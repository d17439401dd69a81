#!/usr/bin/env bash
# Install loan_engine with its test dependencies and run the whole test suite.
# Extra arguments go to pytest. Set TEST_DATABASE_URL=postgresql://… to also run against PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
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
exec python3 -m pytest "$@"
