"""Pydantic request/response documents of the API, one module per resource."""
