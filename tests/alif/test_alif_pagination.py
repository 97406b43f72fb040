"""List methods: async iterators over page/per_page that end on a short page."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioacquiring import InvalidInputError
from aioacquiring.alif import Alif
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import client_for

LIST = "/card.token.list"


def expected_requests(items: int, per_page: int) -> int:
    # Every full page is followed by one more request; the short (or empty) page ends it.
    return items // per_page + 1


@pytest.mark.parametrize("count", [0, 1, 100, 101, 250])
async def test_every_item_once_in_order(alif: Alif, emu: AlifEmulator, count: int) -> None:
    tokens = [emu.add_card() for _ in range(count)]
    listed = [card.card_token async for card in alif.card.token_list()]
    assert listed == tokens
    assert emu.requests_seen(LIST) == expected_requests(count, 100)


async def test_pages_are_whole_pages(alif: Alif, emu: AlifEmulator) -> None:
    for _ in range(250):
        emu.add_card()
    sizes = [len(page) async for page in alif.card.token_list().pages()]
    assert sizes == [100, 100, 50]


async def test_per_page_per_call_and_per_client(emu: AlifEmulator) -> None:
    tokens = [emu.add_card() for _ in range(7)]
    async with client_for(emu, per_page=3) as alif:
        assert alif.per_page == 3
        sizes = [len(page) async for page in alif.card.token_list().pages()]
        assert sizes == [3, 3, 1]
        by_call = [len(page) async for page in alif.card.token_list(per_page=7).pages()]
        assert by_call == [7]  # a full page, then an empty one ends the list
        assert [c.card_token async for c in alif.card.token_list(per_page=2)] == tokens
    assert emu.requests_seen(LIST) == 3 + 2 + 4


async def test_max_items_stops_early(alif: Alif, emu: AlifEmulator) -> None:
    for _ in range(250):
        emu.add_card()
    first = await alif.card.token_list(max_items=101).collect()
    assert len(first) == 101
    assert emu.requests_seen(LIST) == 2
    assert await alif.card.token_list(max_items=0).collect() == []
    assert emu.requests_seen(LIST) == 2


async def test_prefetch_reads_the_same_items(alif: Alif, emu: AlifEmulator) -> None:
    tokens = [emu.add_card() for _ in range(250)]
    assert [c.card_token async for c in alif.card.token_list(prefetch=True)] == tokens


async def test_per_page_must_be_1_to_100(alif: Alif, emu: AlifEmulator) -> None:
    with pytest.raises(InvalidInputError) as caught:
        alif.card.token_list(per_page=101)
    assert caught.value.field == "per_page"
    with pytest.raises(InvalidInputError):
        alif.card.token_list(per_page=0)
    with pytest.raises(InvalidInputError) as client_level:
        client_for(emu, per_page=500)
    assert client_level.value.field == "per_page"
    with pytest.raises(InvalidInputError):
        client_for(emu, per_page=True)  # type: ignore[arg-type]
    assert emu.requests_seen() == 0


async def test_every_list_method_pages(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card()
    for n in range(3):
        await alif.debit.payment_create(amount=10 + n, card_token=token)
        await alif.p2p.transfer_create(
            amount=10 + n, card_token=token, receiver_pan="9860000000000018"
        )
    assert len(await alif.debit.payment_list(per_page=2).collect()) == 3
    assert len(await alif.p2p.transfer_list(per_page=2).collect()) == 3
    assert await alif.checkout.session_list(per_page=2).collect() == []
    assert await alif.recurring.subscription_list(per_page=2).collect() == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.integers(min_value=0, max_value=60), per_page=st.integers(min_value=1, max_value=25)
)
def test_any_count_and_page_size(count: int, per_page: int) -> None:
    async def scenario() -> None:
        async with AlifEmulator() as emu, client_for(emu, per_page=per_page) as alif:
            tokens = [emu.add_card() for _ in range(count)]
            pages = [page async for page in alif.card.token_list().pages()]
            assert [c.card_token for page in pages for c in page] == tokens
            assert all(len(page) == per_page for page in pages[:-1])
            assert emu.requests_seen(LIST) == expected_requests(count, per_page)

    asyncio.run(scenario())
