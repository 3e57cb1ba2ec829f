"""GET /editions/current without the Edition model (issue 18: the cold start).

Every visitor's first request used to build the pydantic Edition from the stored document
(pydantic's import and the model's build: ~380 M of the ~530 M instructions the first
request executes beyond a bare Chalice app). The edition is validated when it is saved, so
the save also stores what the route answers but for its request-time fields: `written`
makes that text from the validated Edition (`Edition.public_view` minus each window's
`open_now` and the top-level `now`, plus the windows' exact bounds), and `read` + `view`
answer from it, comparing datetimes only. The answer is the same JSON, byte for byte, as
`Edition.public_view(now)` (tests/editions/test_public_document.py holds them together).

Nothing here imports pydantic or chalicelib.editions.edition at run time. A change to what
`Edition.public_view` answers bumps FORMAT: documents written before it are then ignored
and the route builds the model from the edition's document (as for items saved before this
module existed) until the edition is saved again.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.platform.clock import iso

if TYPE_CHECKING:
    from chalicelib.editions.edition import Edition

FORMAT = 1  # of the stored text; bump when Edition.public_view changes what it answers


class PublicEdition:
    """A stored public document, read: the answer without its request-time fields, and
    each window's bounds as instants (opens None: opens on an event)."""
    __slots__ = ("answer", "bounds")

    def __init__(self, answer: dict[str, Any],
                 bounds: dict[str, tuple[datetime | None, datetime]]) -> None:
        self.answer = answer
        self.bounds = bounds

    def view(self, now: datetime) -> dict[str, Any]:
        """What GET /editions/current answers at `now`: each window open or not (opens
        inclusive, closes exclusive, to the microsecond, as Window.is_open), and `now`.
        A new dict each time (the top level and the windows); the rest is shared and
        read-only."""
        windows = {}
        for name, window in self.answer["windows"].items():
            opens, closes = self.bounds[name]
            windows[name] = {**window, "open_now": (opens is None or opens <= now) and now < closes}
        return {**self.answer, "windows": windows, "now": iso(now)}


def written(edition: Edition) -> str:
    """The text stored with a validated edition (JSON; the key order is the answer's)."""
    answer = edition.public_view(edition.windows.registration.closes)  # request-time fields dropped
    del answer["now"]
    bounds = {}
    for name, window in answer["windows"].items():
        del window["open_now"]
        w = edition.window(name)
        bounds[name] = [w.opens.isoformat() if w.opens is not None else None,
                        w.closes.isoformat()]
    return json.dumps({"format": FORMAT, "answer": answer, "bounds": bounds},
                      ensure_ascii=False, separators=(",", ":"))


def read(text: str | None) -> PublicEdition | None:
    """The stored text read; None when there is none or it is of another format (the
    caller builds the answer from the edition's document instead)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        answer, raw = data["answer"], data["bounds"]
        bounds = {name: (datetime.fromisoformat(opens) if opens is not None else None,
                         datetime.fromisoformat(closes))
                  for name, (opens, closes) in raw.items()}
        if set(bounds) != set(answer["windows"]):
            return None
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: the model path answers (and the next save rewrites it)
    return PublicEdition(answer, bounds)
