"""aiohttp's handler type, spelled so that it resolves at run time.

``aiohttp.typedefs.Handler`` names types imported only for type checkers,
which documentation tools (pdoc) cannot evaluate; this is the same type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An aiohttp request handler."""
