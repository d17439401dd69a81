"""Every kind of stored job, listed explicitly (no registration by import side effect).

A runner serves the kinds in :data:`JOB_KINDS`; a new kind is one entry here (its handler and what its record
keeps when its stored results are removed).
"""

from __future__ import annotations

from api.jobs.runner import JobKind
from api.portfolio import stress_tests_service
from api.screening import service as screening_service

JOB_KINDS: dict[str, JobKind] = {
    kind.name: kind
    for kind in (
        JobKind(stress_tests_service.KIND, stress_tests_service.handle, stress_tests_service.keep_on_removal),
        JobKind(
            screening_service.KIND,
            screening_service.handle,
            screening_service.keep_on_removal,
            transient_artifacts=(screening_service.INPUT, screening_service.PRICES),
        ),
    )
}
