"""The job queue over the jobs table, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: atomic claims, leases,
attempts, cancellation that reaches the running job, final statuses that never change, database outages."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.jobs.runner import JobRunner
from models import db
from models import jobs as repo
from models.jobs import FINAL_STATUSES, JobStatus
from tests.jobs.conftest import Recorder, add_jobs, get_job, sleeper_kind, statuses, wait_final


class FinalWatcher:
    """Polls the statuses of ``ids`` and records any change of a status that was already final."""

    def __init__(self, engine: Engine, ids: list[str]) -> None:
        self.engine, self.ids = engine, ids
        self.seen: dict[str, str] = {}
        self.changes: list[tuple[str, str, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                now = statuses(self.engine, self.ids)
            except sa.exc.SQLAlchemyError:
                continue
            for job_id, status in now.items():
                before = self.seen.get(job_id)
                if before in FINAL_STATUSES and status != before:
                    self.changes.append((job_id, before, status))
                self.seen[job_id] = status
            time.sleep(0.02)

    def __enter__(self) -> FinalWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def test_concurrent_claims_take_each_job_once(queue_engine: Engine) -> None:
    ids = add_jobs(queue_engine, 40, kind="test-claim")
    claimed: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def claimer(n: int) -> None:
        engine = db.make_engine(queue_engine.url.render_as_string(hide_password=False))
        try:
            while True:
                c = repo.claim_next(engine, f"t{n}", lease_seconds=60, max_attempts=3, kinds=["test-claim"])
                if c is None:
                    return
                with lock:
                    claimed.append(c.job_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(claimed) == sorted(ids)  # every job claimed, none twice
    assert all(get_job(queue_engine, i).attempts == 1 for i in ids)


def test_a_final_status_never_changes(queue_engine: Engine) -> None:
    [job_id] = add_jobs(queue_engine, 1, kind="test-final")
    claim = repo.claim_next(queue_engine, "me", lease_seconds=60, max_attempts=3, kinds=["test-final"])
    assert claim is not None and claim.job_id == job_id
    assert repo.finish(queue_engine, job_id, JobStatus.succeeded, token=claim.token, result={"x": 1})
    # Nothing changes it afterwards: another final write, with or without the token, progress, heartbeat,
    # a cancel request, giving it back, the expiry sweep.
    assert not repo.finish(queue_engine, job_id, JobStatus.failed, token=claim.token, error="late")
    assert not repo.finish(queue_engine, job_id, JobStatus.cancelled)
    assert not repo.set_progress(queue_engine, job_id, claim.token, 1, 2)
    assert not repo.heartbeat(queue_engine, job_id, claim.token, 60).held
    assert not repo.release(queue_engine, job_id, claim.token)
    with Session(queue_engine) as session:
        repo.request_cancel(session, job_id)
        session.commit()
    repo.fail_exhausted(queue_engine, 1)
    job = get_job(queue_engine, job_id)
    assert (job.status, job.result, job.error, job.cancel_requested) == ("succeeded", {"x": 1}, None, False)
    assert repo.claim_next(queue_engine, "other", lease_seconds=60, max_attempts=3, kinds=["test-final"]) is None


def test_expired_lease_is_retried_then_failed(queue_engine: Engine) -> None:
    [job_id] = add_jobs(queue_engine, 1, kind="test-lease")
    first = repo.claim_next(queue_engine, "a", lease_seconds=0.3, max_attempts=2, kinds=["test-lease"])
    assert first is not None and first.attempt == 1
    # While the lease holds nobody else gets it, and the sweep leaves it alone.
    assert repo.claim_next(queue_engine, "b", lease_seconds=0.3, max_attempts=2, kinds=["test-lease"]) is None
    assert repo.fail_exhausted(queue_engine, 1) == 0
    assert get_job(queue_engine, job_id).status == "running"
    time.sleep(0.4)
    second = repo.claim_next(queue_engine, "b", lease_seconds=0.3, max_attempts=2, kinds=["test-lease"])
    assert second is not None and second.attempt == 2 and second.token != first.token
    # The first holder has lost it: its heartbeat says so, its progress and final write are refused.
    beat = repo.heartbeat(queue_engine, job_id, first.token, 60)
    assert not beat.held
    assert not repo.set_progress(queue_engine, job_id, first.token, 1, 2)
    assert not repo.finish(queue_engine, job_id, JobStatus.succeeded, token=first.token)
    time.sleep(0.4)
    # No attempts left: not claimed again, failed by the sweep (from any process).
    assert repo.claim_next(queue_engine, "c", lease_seconds=0.3, max_attempts=2, kinds=["test-lease"]) is None
    assert repo.fail_exhausted(queue_engine, 2) == 1
    job = get_job(queue_engine, job_id)
    assert job.status == "failed" and job.attempts == 2 and "2 time(s)" in (job.error or "")


def test_two_runners_run_every_job_exactly_once(queue_engine: Engine) -> None:
    recorder = Recorder()
    kinds = {"test-sleep": sleeper_kind(recorder)}
    ids = add_jobs(queue_engine, 30, seconds=0.05)
    url = queue_engine.url.render_as_string(hide_password=False)
    engines = [db.make_engine(url), db.make_engine(url)]
    runners = [JobRunner(e, workers=2, kinds=kinds, poll_seconds=0.05, lease_seconds=10).start() for e in engines]
    try:
        with FinalWatcher(queue_engine, ids) as watcher:
            final = wait_final(queue_engine, ids)
            time.sleep(0.3)
        assert set(final.values()) == {"succeeded"}
        assert watcher.changes == []
        assert recorder.starts == dict.fromkeys(ids, 1)
        assert all(get_job(queue_engine, i).attempts == 1 for i in ids)
        assert sum(r.jobs_run for r in runners) == 30
    finally:
        for r in runners:
            r.shutdown()
        for e in engines:
            e.dispose()


def test_cancel_reaches_the_running_job(queue_engine: Engine) -> None:
    recorder = Recorder()
    runner = JobRunner(
        queue_engine, kinds={"test-sleep": sleeper_kind(recorder)}, poll_seconds=0.05, lease_seconds=3
    ).start()
    try:
        [job_id] = add_jobs(queue_engine, 1, seconds=60)
        deadline = time.monotonic() + 30
        while get_job(queue_engine, job_id).status != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        with Session(queue_engine) as session:  # as the API does, possibly in another process
            repo.request_cancel(session, job_id)
            session.commit()
        # A 60 s job ends as cancelled well before (heartbeat every second); the wait is only a bound.
        assert wait_final(queue_engine, [job_id], timeout=15) == {job_id: "cancelled"}
        assert runner.active_jobs() == []
    finally:
        runner.shutdown()


class Outage:
    """Every statement on ``engine`` fails as if the server were gone, until ``end()``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.active = False
        event.listen(engine, "before_cursor_execute", self._fail)

    def _fail(self, *args: Any) -> None:
        if self.active:
            raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError("the database is gone"))

    def begin(self) -> None:
        self.active = True

    def end(self) -> None:
        self.active = False

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._fail)


@pytest.mark.slow
def test_runner_survives_the_database_gone_for_10_seconds(queue_engine: Engine) -> None:
    recorder = Recorder()
    url = queue_engine.url.render_as_string(hide_password=False)
    engine = db.make_engine(url)  # the runner's own connection pool, which loses the database
    outage = Outage(engine)
    runner = JobRunner(
        engine, kinds={"test-sleep": sleeper_kind(recorder)}, poll_seconds=0.1, lease_seconds=30, workers=1
    ).start()
    try:
        [long_job] = add_jobs(queue_engine, 1, seconds=12)
        deadline = time.monotonic() + 30
        while get_job(queue_engine, long_job).status != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        outage.begin()
        later = add_jobs(queue_engine, 3, seconds=0.05)  # queued while the runner cannot reach the database
        time.sleep(10)
        outage.end()
        final = wait_final(queue_engine, [long_job, *later], timeout=60)
        assert set(final.values()) == {"succeeded"}
        assert recorder.starts == dict.fromkeys([long_job, *later], 1)  # nothing retried, nothing twice
        assert get_job(queue_engine, long_job).attempts == 1
        assert all(t.is_alive() for t in runner._threads)
    finally:
        runner.shutdown()
        outage.remove()
        engine.dispose()


@pytest.mark.slow
def test_a_process_that_lost_its_lease_stops_and_its_result_is_discarded(queue_engine: Engine) -> None:
    """The database is gone for one runner longer than the lease: another runner takes the job over (attempt 2);
    when the database is back the first learns it lost the lease and stops; the job has one final status."""
    recorder = Recorder()
    kinds = {"test-sleep": sleeper_kind(recorder)}
    url = queue_engine.url.render_as_string(hide_password=False)
    engine_a, engine_b = db.make_engine(url), db.make_engine(url)
    outage = Outage(engine_a)
    a = JobRunner(engine_a, kinds=kinds, poll_seconds=0.1, lease_seconds=1)
    b = JobRunner(engine_b, kinds=kinds, poll_seconds=0.1, lease_seconds=1)
    try:
        [job_id] = add_jobs(queue_engine, 1, seconds=5)
        a.start()
        deadline = time.monotonic() + 30
        while get_job(queue_engine, job_id).status != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        outage.begin()
        b.start()
        with FinalWatcher(queue_engine, [job_id]) as watcher:
            deadline = time.monotonic() + 30
            while get_job(queue_engine, job_id).attempts < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            outage.end()
            final = wait_final(queue_engine, [job_id], timeout=60)
            time.sleep(1.5)  # a's heartbeats resume and find the lease gone
        assert final == {job_id: "succeeded"} and watcher.changes == []
        job = get_job(queue_engine, job_id)
        assert job.attempts == 2 and recorder.starts == {job_id: 2}
        assert a.active_jobs() == []
    finally:
        a.shutdown()
        b.shutdown()
        outage.remove()
        engine_a.dispose()
        engine_b.dispose()


def test_metrics_reads(queue_engine: Engine) -> None:
    add_jobs(queue_engine, 2, kind="test-metrics")
    with Session(queue_engine) as session:
        counts = repo.counts_by_status(session, kind="test-metrics")
        assert counts == {"queued": 2, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0}
        assert repo.queue_depth(session, kind="test-metrics") == 2
        assert repo.queue_depth(session) >= 2
