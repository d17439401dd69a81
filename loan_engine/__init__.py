"""loan_engine: the startlån domain (underwriting, portfolio stress tests, tenant screening).

Pure and typed: no HTTP, no database. The API (``api``) and the persistence layer (``models``) call into it.
"""

__version__ = "0.1.0"
