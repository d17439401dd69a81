"""Persistence: SQLModel tables (one module per concept), pydantic schemas and repositories."""
