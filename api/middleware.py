"""ASGI middleware: request body size limits (answered with problem+json 413)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_MEDIA_TYPE, TYPE_BASE

UPLOAD_MEDIA_TYPES = ("multipart/form-data", "text/csv", "application/octet-stream", "application/vnd.apache.parquet")


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse bodies over the limit: JSON bodies get ``max_body``, file uploads ``max_upload``."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        content_type = headers.get("content-type", "").lower()
        limit = self.max_upload if content_type.startswith(UPLOAD_MEDIA_TYPES) else self.max_body
        declared = headers.get("content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False
            if too_large:
                await _send_413(send, scope, limit)
                return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await _send_413(send, scope, limit)


async def _send_413(send: Send, scope: Scope, limit: int) -> None:
    body: dict[str, Any] = {
        "type": TYPE_BASE + "body-too-large",
        "title": "Request body too large",
        "status": 413,
        "detail": f"The request body is larger than the limit of {limit} bytes.",
        "instance": scope.get("path"),
        "errors": [{"field": "body", "rule": f"max-body-bytes-{limit}", "message": f"at most {limit} bytes"}],
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
