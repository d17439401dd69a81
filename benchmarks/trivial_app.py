"""The ceiling for ``benchmarks.service``: a trivial FastAPI POST endpoint on the same uvicorn, same body size.

It parses the JSON body (a dict, validated by FastAPI like any body) and answers a small JSON document; no auth, no
database, no middleware. ``uvicorn benchmarks.trivial_app:app``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, FastAPI

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.post("/echo")
async def echo(body: dict[str, Any] = Body()) -> dict[str, int]:
    return {"fields": len(body)}


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}
