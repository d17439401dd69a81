"""Services: units of work that combine the domain (``loan_engine``) with repositories (``models``)."""
