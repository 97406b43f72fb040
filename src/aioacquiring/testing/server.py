"""The base of every emulator: an aiohttp application served on loopback.

A subclass lists its routes (and, if it needs them, middlewares); the base
serves them with ``AppRunner`` + ``TCPSite``, puts the provider-neutral
:class:`~aioacquiring.testing.faults.FaultInjector` in front of them and shuts
everything down cleanly::

    async with CloudPaymentsEmulator() as emu:
        client = CloudPayments(..., base_url=emu.url)
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.typedefs import Middleware

from aioacquiring.testing._types import Handler
from aioacquiring.testing.admin import admin_routes
from aioacquiring.testing.faults import ADMIN_PREFIX, FaultInjector
from aioacquiring.testing.outbox import WebhookOutbox

__all__ = ["EmulatorServer"]

_Server = TypeVar("_Server", bound="EmulatorServer")


def _outside_admin(middleware: Middleware) -> Middleware:
    """Run a provider middleware (auth, signatures, replay) on everything but admin paths."""

    @web.middleware
    async def skip_admin(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        return await middleware(request, handler)

    return skip_admin


class EmulatorServer:
    """An aiohttp application on ``host:port`` (loopback, a free port by default).

    ``async with`` starts it and closes it; :attr:`url` is its base URL. Subclasses
    override :meth:`routes` and, optionally, :meth:`middlewares`. Every request
    goes through :attr:`faults` first, which counts it, enforces
    ``max_concurrency`` (HTTP 429 above it) and applies scripted faults.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_concurrency: int | None = None,
        shutdown_timeout: float = 1.0,
    ) -> None:
        self.host = host
        self.port = port
        self.faults = FaultInjector(max_concurrency=max_concurrency)
        """Scripted faults and request counts for this server."""
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        where = self._url if self._url is not None else "not started"
        return f"{type(self).__name__}(url={where!r})"

    # What subclasses provide -------------------------------------------------

    def routes(self) -> Iterable[web.AbstractRouteDef]:
        """The application's routes (``web.post(path, handler)`` and the like)."""
        return ()

    def middlewares(self) -> Iterable[Middleware]:
        """Middlewares that run after the fault injector, outermost first."""
        return ()

    def inspect(self) -> dict[str, Any]:
        """What the emulator holds, as JSON-able data (served at ``/_emulator/state``)."""
        return {}

    def _webhook_outbox(self) -> WebhookOutbox | None:
        # Emulators that send webhooks keep their WebhookOutbox as ``outbox``.
        outbox = getattr(self, "outbox", None)
        return outbox if isinstance(outbox, WebhookOutbox) else None

    def create_app(self) -> web.Application:
        """Build the application served by :meth:`start` (called on every start).

        Besides the provider's routes it serves the admin endpoints of
        :mod:`aioacquiring.testing.admin` under ``/_emulator/``.
        """
        provider_middlewares = [_outside_admin(m) for m in self.middlewares()]
        app = web.Application(middlewares=[self.faults.middleware, *provider_middlewares])
        app.add_routes(list(self.routes()))
        app.add_routes(list(admin_routes(self.faults, self.inspect, self._webhook_outbox)))
        return app

    # Lifecycle ---------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Whether the server is serving."""
        return self._runner is not None

    @property
    def url(self) -> str:
        """The base URL, ``http://host:port`` without a trailing slash (once started)."""
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._url

    async def start(self) -> None:
        """Start serving; :attr:`url` is valid afterwards."""
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        runner = web.AppRunner(self.create_app(), shutdown_timeout=self._shutdown_timeout)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            port = runner.addresses[0][1]
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._url = f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop serving and release the socket and connections (safe to call twice).

        Requests still being handled get ``shutdown_timeout`` seconds to finish,
        then are cancelled.
        """
        runner, self._runner = self._runner, None
        self._url = None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self: _Server) -> _Server:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
