"""Schema constraints carried in field metadata are checked before anything is sent."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from aioacquiring.core.validation import validate
from aioacquiring.errors import InvalidInputError


@attrs.define(frozen=True, kw_only=True)
class Page:
    per_page: int | None = attrs.field(
        default=None, metadata={"key": "per_page", "ge": 1, "le": 100}
    )
    ratio: Decimal | None = attrs.field(default=None, metadata={"key": "ratio", "gt": 0, "lt": 1})
    tags: list[str] | None = attrs.field(
        default=None, metadata={"key": "tags", "min_items": 1, "max_items": 2}
    )


@pytest.mark.parametrize(
    ("page", "field", "message"),
    [
        (Page(per_page=0), "per_page", "at least 1"),
        (Page(per_page=101), "per_page", "at most 100"),
        (Page(ratio=Decimal("1")), "ratio", "less than 1"),
        (Page(ratio=Decimal("0")), "ratio", "greater than 0"),
        (Page(tags=[]), "tags", "at least 1"),
        (Page(tags=["a", "b", "c"]), "tags", "at most 2"),
    ],
)
def test_bounds_are_enforced(page: Page, field: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        validate(page)
    assert caught.value.field == field


def test_values_inside_the_bounds_pass() -> None:
    validate(Page(per_page=100, ratio=Decimal("0.5"), tags=["a", "b"]))
    validate(Page(per_page=1))
