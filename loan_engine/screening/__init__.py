"""Batch screening of municipal tenants' ownership potential (leie til eie).

Modules, in the order a run uses them:

* :mod:`.io` – reading CSV (UTF-8/Windows-1252/UTF-16, ``;``/``,``/tab sniffed) and Parquet in chunks, with file
  size and row limits;
* :mod:`.register` – the register's columns (the documented file format) and its columnar form;
* :mod:`.validation` – row-level errors ``{row, column, rule, message}``; good rows go on;
* :mod:`.prices` – the price table (per m² or per dwelling size, by area) and the suitable dwelling per household
  size;
* :mod:`.living` – the register's columns fed to the living-cost rule (:mod:`loan_engine.underwriting.rules`);
* :mod:`.engine` – the underwriting rules and the financing ladder of :mod:`loan_engine.underwriting.rules` run over
  all households (reference terms, fixed rate, 50 years where § 8-5 is flagged, smallest grant);
* :mod:`.ranking` – the caseworkers' ranked list and the kommune summary (no personal details);
* :mod:`.run` – one run end to end; :mod:`.synthetic` – invented registers for demos, tests and the benchmark.

``samples/tenants.csv`` and ``samples/prices.csv`` are a small invented register and price table.
"""
