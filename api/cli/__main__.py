"""``python -m api.cli``: the same as the ``loan-engine`` command."""

from api.cli import main

main()
