"""Batch screening of municipal tenants' ownership potential (leie til eie).

Modules, in the order a run uses them:

* :mod:`.io` – reading CSV (UTF-8/Windows-1252/UTF-16, ``;``/``,``/tab sniffed) and Parquet in chunks, with file
  size and row limits;
* :mod:`.register` – the register's columns (the documented file format) and its columnar form;
* :mod:`.validation` – row-level errors ``{row, column, rule, message}``; good rows go on;
* :mod:`.prices` – the price table (per m² or per dwelling size, by area) and the suitable dwelling per household
  size;
* :mod:`.living` – SIFO / social-assistance-floor living costs vectorised over households;
* :mod:`.engine` – the single-household financing ladder vectorised (reference terms, fixed rate, 50 years where
  § 8-5 is flagged, smallest grant), and :func:`.engine.screen_one`, the same answer from the single-household
  functions themselves;
* :mod:`.ranking` – the caseworkers' ranked list and the kommune summary (no personal details);
* :mod:`.run` – one run end to end; :mod:`.synthetic` – invented registers for demos, tests and the benchmark.

``samples/tenants.csv`` and ``samples/prices.csv`` are a small invented register and price table.
"""
