"""The ``loan-engine`` command line: every operation of the service, from a terminal or a batch job.

Domain commands register themselves below (``register(app)`` in each module). Errors are shown as a red line
naming the field and the rule, with exit code 2; never a traceback.
"""

from __future__ import annotations

import typer

from api.cli import admin, cases, screening, stress_test, underwriting, worker

app = typer.Typer(
    name="loan-engine",
    help="Startlån underwriting and portfolio risk engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

admin.register(app)
cases.register(app)
underwriting.register(app)
stress_test.register(app)
screening.register(app)
worker.register(app)


def main() -> None:
    app()
