"""HTTP and CLI interfaces of the startlån engine: thin layers over ``loan_engine`` and ``models``."""
