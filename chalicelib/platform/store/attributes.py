"""Attribute types shared by the features' models."""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.platform.states import StateMachine


class StateAttribute(UnicodeAttribute):
    """A state field bound to its machine: writing (or comparing against) a value the
    machine does not know raises, so no code path can store a state the table lacks."""

    def __init__(self, machine: StateMachine, **kwargs: Any) -> None:  # type: ignore[type-arg]
        super().__init__(**kwargs)
        self.machine = machine

    def serialize(self, value: Any) -> str:
        if not self.machine.knows(value):
            raise ValueError(f"{self.machine.name}: unknown state {value!r}")
        return str(super().serialize(str(value)))


class FenAttribute(NumberAttribute):
    """Integer fen: refuses floats and non-integers on the way in and out."""

    def serialize(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"amount must be integer fen, got {value!r}")
        return str(super().serialize(value))

    def deserialize(self, value: Any) -> int:
        return int(super().deserialize(value))
