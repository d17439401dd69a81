"""Portfolio stress tests (Numba kernels). The Numba cache folder is chosen before Numba is imported."""

from loan_engine import _numba_cache  # noqa: F401  (must run before any `import numba`; see the module)
