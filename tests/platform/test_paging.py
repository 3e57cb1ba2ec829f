"""The list shape and job walks (unit tier, no AWS)."""
from __future__ import annotations

import pytest

from chalicelib.platform.errors import ValidationError
from chalicelib.platform.paging import decode_token, encode_token, page_out, walk_pages


def test_next_token_only_when_there_is_more() -> None:
    assert page_out("orders", [1], None) == {"orders": [1]}
    assert page_out("orders", [1], "abc", jobs=[]) == {"orders": [1], "jobs": [], "next_token": "abc"}


def test_token_round_trip_and_garbage() -> None:
    key = {"order_id": {"S": "O1"}, "名": {"S": "李"}}
    assert decode_token(encode_token(key)) == key
    assert encode_token(None) is None and decode_token(None) is None
    for bad in ("!!!", "W10", "bm90IGpzb24"):  # not base64 / a list / not JSON
        with pytest.raises(ValidationError):
            decode_token(bad)


def _pages(items: list[int], size: int):
    def query(token: str | None):
        start = int(token or 0)
        nxt = start + size
        return items[start:nxt], (str(nxt) if nxt < len(items) else None)
    return query


def test_walk_goes_through_every_phase_and_counts() -> None:
    seen: list[int] = []

    def handle(x: int) -> bool:
        seen.append(x)
        return x % 2 == 0
    counts, cursor = walk_pages([_pages([1, 2, 3], 2), _pages([4, 5], 1)], handle, None, 60)
    assert cursor is None
    assert seen == [1, 2, 3, 4, 5]
    assert counts == {"seen": 5, "changed": 2}


def test_walk_stops_when_the_budget_is_spent_and_resumes_from_the_cursor() -> None:
    seen: list[int] = []
    counts, cursor = walk_pages([_pages(list(range(10)), 3)], lambda x: seen.append(x) or True, None, 0)
    assert cursor == {"phase": 0, "token": "3"} and seen == [0, 1, 2]
    counts, cursor = walk_pages([_pages(list(range(10)), 3)], lambda x: seen.append(x) or True, cursor, 60)
    assert cursor is None and seen == list(range(10))


def test_a_cursor_an_older_release_wrote_starts_the_walk_over() -> None:
    seen: list[int] = []
    counts, cursor = walk_pages([_pages([1, 2], 1)], lambda x: seen.append(x) or True,
                                '{"phase": 0, "key": null}', 60)  # type: ignore[arg-type]
    assert cursor is None and seen == [1, 2]
