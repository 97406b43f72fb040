"""The emulators' admin endpoints: script faults and look inside over HTTP.

Every emulator serves these next to the provider's own paths, so that a test
written in another language, a shell script or a person with ``curl`` can do
what a Python test does with ``emulator.faults`` and ``emulator.inspect()``::

    curl -X POST localhost:8131/_emulator/faults -d '{"kind": "fail", "status": 503}'
    curl -X POST localhost:8131/_emulator/webhooks -d '{"kind": "duplicate"}'
    curl localhost:8131/_emulator/webhooks    # every delivery and its attempts
    curl localhost:8131/_emulator/state

Requests to these paths are never counted, throttled or faulted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from aioacquiring.testing.faults import ADMIN_PREFIX, FaultInjector
from aioacquiring.testing.outbox import WebhookOutbox

__all__ = ["admin_routes", "apply_fault"]

_ROOT = ADMIN_PREFIX.rstrip("/")

_WEBHOOK_FAULT = '{"kind": "duplicate" or "reorder", "count": n}'

_KINDS = ("fail", "delay", "slow_body", "compress", "drop_before", "drop_after")


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


def apply_fault(faults: FaultInjector, spec: Any) -> None:
    """Script one fault from its JSON description (raises ValueError when it is not one).

    ``{"kind": "fail", "count": 2, "status": 503, "retry_after": 1, "path": "/x"}``;
    ``kind`` is one of ``fail``, ``delay`` and ``slow_body`` (with ``seconds``),
    ``compress``, ``drop_before``, ``drop_after``; ``count`` defaults to 1 and ``path``
    to every path.
    """
    if not isinstance(spec, dict):
        raise ValueError("a fault is a JSON object")
    kind = spec.get("kind")
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}")
    count = spec.get("count", 1)
    path = spec.get("path")
    if path is not None and not isinstance(path, str):
        raise ValueError("path must be a string")
    if kind == "fail":
        body = spec.get("body", "")
        faults.fail_next(
            count,
            status=spec.get("status", 500),
            body=body.encode() if isinstance(body, str) else json.dumps(body).encode(),
            retry_after=spec.get("retry_after"),
            path=path,
            content_type=spec.get("content_type"),
        )
    elif kind in ("delay", "slow_body"):
        seconds = spec.get("seconds")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ValueError(f"{kind} needs seconds, a non-negative number")
        script = faults.delay_next if kind == "delay" else faults.slow_body_next
        script(count, seconds=float(seconds), path=path)
    elif kind == "compress":
        faults.compress_next(count, path=path)
    elif kind == "drop_before":
        faults.drop_before_next(count, path=path)
    else:
        faults.drop_after_next(count, path=path)


def admin_routes(
    faults: FaultInjector,
    inspect: Callable[[], dict[str, Any]],
    outbox: Callable[[], WebhookOutbox | None] = lambda: None,
) -> Iterable[web.AbstractRouteDef]:
    """The admin routes of one emulator: its faults, its webhooks and what ``inspect()`` reports."""

    async def add_faults(request: web.Request) -> web.Response:
        try:
            payload = json.loads(await request.read() or b"null")
        except ValueError:
            return _bad("the body is not JSON")
        specs = payload if isinstance(payload, list) else [payload]
        try:
            for spec in specs:
                apply_fault(faults, spec)
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
        return web.json_response({"pending": faults.pending})

    async def clear_faults(_: web.Request) -> web.Response:
        faults.clear()
        return web.json_response({"pending": 0})

    async def requests(_: web.Request) -> web.Response:
        return web.json_response(
            {
                "total": faults.requests_seen(),
                "max_in_flight_seen": faults.max_in_flight_seen,
                "throttled": faults.throttled,
                "pending_faults": faults.pending,
            }
        )

    async def webhook_faults(request: web.Request) -> web.Response:
        box = outbox()
        if box is None:
            return web.json_response({"error": "this emulator sends no webhooks"}, status=404)
        try:
            spec = json.loads(await request.read() or b"null")
            kind, count = spec["kind"], spec.get("count", 1)
            if kind == "duplicate":
                box.duplicate_next(count)
            elif kind == "reorder":
                box.reorder_next(count)
            else:
                raise ValueError("kind must be duplicate or reorder")
        except (TypeError, ValueError, KeyError) as exc:
            return _bad(f'a webhook fault is {{"kind": "duplicate"|"reorder", "count": n}}: {exc}')
        return web.json_response({"scripted": kind, "count": count})

    async def webhooks(_: web.Request) -> web.Response:
        box = outbox()
        deliveries = [] if box is None else box.deliveries
        return web.json_response(
            [
                {
                    "label": d.label,
                    "url": d.url,
                    "method": d.method,
                    "delivered": d.delivered,
                    "copy": d.copy,
                    "attempts": [{"status": a.status, "error": a.error} for a in d.attempts],
                }
                for d in deliveries
            ]
        )

    async def state(_: web.Request) -> web.Response:
        return web.json_response(inspect(), dumps=lambda value: json.dumps(value, default=str))

    return (
        web.post(f"{_ROOT}/faults", add_faults),
        web.delete(f"{_ROOT}/faults", clear_faults),
        web.get(f"{_ROOT}/requests", requests),
        web.get(f"{_ROOT}/state", state),
        web.post(f"{_ROOT}/webhooks", webhook_faults),
        web.get(f"{_ROOT}/webhooks", webhooks),
    )
