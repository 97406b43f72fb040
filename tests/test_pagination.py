"""The paginator on its own: page boundaries, max_items, prefetch, early exit."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioacquiring import InvalidInputError
from aioacquiring.core.pagination import Paginator


def paginator(total: int, page_size: int, calls: list[int], **kwargs: object) -> Paginator[int]:
    async def fetch(page: int) -> list[int]:
        calls.append(page)
        start = (page - 1) * page_size
        return list(range(total))[start : start + page_size]

    return Paginator(fetch, page_size=page_size, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(0, 260),
    page_size=st.integers(1, 100),
    max_items=st.none() | st.integers(0, 300),
    prefetch=st.booleans(),
)
def test_yields_every_item_once_in_order(
    total: int, page_size: int, max_items: int | None, prefetch: bool
) -> None:
    calls: list[int] = []
    items = asyncio.run(
        paginator(total, page_size, calls, max_items=max_items, prefetch=prefetch).collect()
    )
    expected = list(range(total))[: max_items if max_items is not None else None]
    assert items == expected
    if max_items is None and not prefetch:
        # Stops on the first short page: one request more only when the total divides evenly.
        assert len(calls) == total // page_size + 1


async def test_pages_are_whole_lists() -> None:
    calls: list[int] = []
    pages = [page async for page in paginator(250, 100, calls).pages()]
    assert [len(p) for p in pages] == [100, 100, 50]
    assert calls == [1, 2, 3]


async def test_breaking_out_cancels_a_prefetch() -> None:
    calls: list[int] = []
    source = paginator(1000, 10, calls, prefetch=True)
    async for item in source:
        if item == 5:
            break
    await asyncio.sleep(0)
    assert calls[:2] == [1, 2]


@pytest.mark.parametrize("max_items", [-1, True, 2.5, "10"])
def test_max_items_that_is_not_a_count_is_refused(max_items: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Paginator(lambda page: asyncio.sleep(0, []), page_size=1, max_items=max_items)  # type: ignore[arg-type]
    assert caught.value.field == "max_items"
