"""Uploads are bounded while they are read: Parquet by its metadata and its dictionaries before anything is
expanded, CSV at the row limit + 1; every refusal names the limit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loan_engine.errors import LimitExceeded
from loan_engine.screening.io import MAX_CELL_BYTES, open_columns
from loan_engine.screening.run import read_register
from tests.screening.conftest import register_text


def _bomb(path: Path, rows: int = 2000, cell: int = 1_000_000) -> None:
    """A tiny Parquet register whose one dictionary-encoded string, repeated, decodes to rows × cell bytes."""
    big = pa.array(["x" * cell]).dictionary_encode()
    area = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), big.dictionary)
    table = pa.table(
        {
            "household_id": [f"H{i}" for i in range(rows)],
            "members": ["F30"] * rows,
            "income_wages": [30000] * rows,
            "rent": [9000] * rows,
            "area": area,
        }
    )
    pq.write_table(table, path, compression="zstd")


def test_dictionary_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    path = tmp_path / "bomb.parquet"
    _bomb(path)
    assert path.stat().st_size < 20_000
    with pytest.raises(LimitExceeded) as e:
        read_register(path)
    assert e.value.rule == f"max-cell-bytes-{MAX_CELL_BYTES}"
    assert str(MAX_CELL_BYTES) in e.value.detail and "area" in e.value.detail


@pytest.mark.slow
def test_dictionary_bomb_costs_little_memory(tmp_path: Path) -> None:
    """In a fresh process: refusing the 2 000 × 1 MB register must not build the 2 GB it decodes to."""
    path = tmp_path / "bomb.parquet"
    _bomb(path)
    script = textwrap.dedent(
        f"""
        import resource
        from loan_engine.errors import LimitExceeded
        from loan_engine.screening.run import read_register
        import loan_engine.screening.validation  # imports first: measure the reading only
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            read_register({str(path)!r})
        except LimitExceeded as exc:
            print("refused", exc.rule)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    lines = done.stdout.split()
    assert lines[0] == "refused"
    assert int(lines[-1]) < 200, done.stdout  # MiB of peak RSS growth; expanding it would take ~2 000


def test_parquet_row_count_is_refused_from_the_metadata(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"household_id": [str(i) for i in range(50)], "members": ["F30"] * 50}), path)
    with pytest.raises(LimitExceeded) as e:
        open_columns(path, max_rows=49)
    assert e.value.rule == "max-rows-49" and "49" in e.value.detail


def test_parquet_decoded_size_is_refused_from_the_metadata(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    rows = 20_000
    pq.write_table(pa.table({"household_id": [f"household-{i:012d}" for i in range(rows)]}), path)
    with pytest.raises(LimitExceeded) as e:
        open_columns(path, max_decoded_bytes=100_000)
    assert e.value.rule == "max-decoded-bytes-100000"


def test_csv_stops_at_the_row_limit_plus_one() -> None:
    rows = [f"H{i};F30;30000;0;0;0;0;9000;0;0;;Rud;;nei" for i in range(5000)]
    reader = open_columns(register_text(rows).encode(), max_rows=100, chunk_rows=10)
    seen: list[Any] = []
    with pytest.raises(LimitExceeded) as e:
        for chunk in reader.chunks:
            seen.append(chunk)
    assert e.value.rule == "max-rows-100" and "100" in e.value.detail
    assert seen == []  # refused before a single row was validated


def test_csv_at_the_limit_is_read() -> None:
    rows = [f"H{i};F30;30000;0;0;0;0;9000;0;0;;Rud;;nei" for i in range(100)]
    reg, report, _ = read_register(register_text(rows).encode(), max_rows=100)
    assert len(reg) == 100 and report.error_count == 0


def test_parquet_cell_longer_than_the_limit_without_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    table = pa.table(
        {"household_id": ["A"], "members": ["F30"], "income_wages": [1], "rent": [1], "area": ["y" * 10_000]}
    )
    pq.write_table(table, path, use_dictionary=False, write_statistics=False)
    with pytest.raises(LimitExceeded) as e:
        read_register(path)
    assert e.value.rule == f"max-cell-bytes-{MAX_CELL_BYTES}"


def test_api_refuses_too_many_rows_at_submission(
    client: Any, caseworker_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from loan_engine.screening import io as screening_io
    from loan_engine.screening.synthetic import sample_prices

    monkeypatch.setattr(screening_io, "MAX_ROWS", 10)
    rows = [f"H{i};F30;30000;0;0;0;0;9000;0;0;;Rud;;nei" for i in range(50)]
    import json

    r = client.post(
        "/v1/screenings",
        files={"register": ("t.csv", register_text(rows).encode(), "text/csv")},
        data={"screening_date": "2026-01-01", "prices_json": json.dumps(sample_prices())},
        headers=caseworker_headers,
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["rule"] == "max-rows-10" and "10" in r.json()["detail"]


def test_api_refuses_the_parquet_bomb_at_submission(
    client: Any, caseworker_headers: dict[str, str], tmp_path: Path
) -> None:
    import json

    from loan_engine.screening.synthetic import sample_prices

    path = tmp_path / "bomb.parquet"
    _bomb(path, rows=200)
    r = client.post(
        "/v1/screenings",
        files={"register": ("t.parquet", path.read_bytes(), "application/octet-stream")},
        data={"screening_date": "2026-01-01", "prices_json": json.dumps(sample_prices())},
        headers=caseworker_headers,
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["rule"] == f"max-cell-bytes-{MAX_CELL_BYTES}"
