"""Async iteration over paged lists, page after page, with flat memory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from aioacquiring.core.validation import require_count

ItemT = TypeVar("ItemT")

FetchPage = Callable[[int], Awaitable[Sequence[ItemT]]]


class Paginator(Generic[ItemT]):
    """Items of a paged list call, fetched lazily: ``async for item in paginator``.

    Pages are fetched one at a time as the caller consumes them; only the
    current page is held, so memory stays flat however long the list is. A
    page shorter than the page size ends the list. ``max_items`` stops early;
    ``prefetch`` fetches the next page while the caller works on the current one.
    """

    def __init__(
        self,
        fetch: FetchPage[ItemT],
        *,
        page_size: int,
        first_page: int = 1,
        max_items: int | None = None,
        prefetch: bool = False,
    ) -> None:
        if max_items is not None:
            require_count(max_items, "max_items", minimum=0)
        self._fetch = fetch
        self._page_size = page_size
        self._first_page = first_page
        self._max_items = max_items
        self._prefetch = prefetch

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self._items()

    async def _items(self) -> AsyncIterator[ItemT]:
        async for page in self.pages():
            for item in page:
                yield item

    async def pages(self) -> AsyncIterator[list[ItemT]]:
        """Yield whole pages (lists of items); the last may be cut short by ``max_items``."""
        remaining = self._max_items
        if remaining == 0:
            return
        number = self._first_page
        pending: asyncio.Task[Sequence[ItemT]] | None = None
        try:
            while True:
                page = list(await pending if pending is not None else await self._fetch(number))
                pending = None
                last = len(page) < self._page_size
                if remaining is not None:
                    page = page[:remaining]
                    remaining -= len(page)
                    last = last or remaining == 0
                if not last and self._prefetch:
                    pending = asyncio.ensure_future(self._fetch(number + 1))
                if page:
                    yield page
                if last:
                    return
                number += 1
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending

    async def collect(self) -> list[ItemT]:
        """Fetch everything (up to ``max_items``) into one list."""
        return [item async for item in self]
