#!/usr/bin/env bash
# Install loan_engine with its test dependencies and run the whole test suite.
# Extra arguments go to pytest. Set TEST_DATABASE_URL=postgresql://… to also run against PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
exec python3 -m pytest "$@"
