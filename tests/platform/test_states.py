"""State tables: one per state field, and no state written that its table does not know."""
from __future__ import annotations

from enum import StrEnum

import pytest

from chalicelib.platform.errors import ConflictError
from chalicelib.platform.states import StateMachine
from chalicelib.platform.store.attributes import FenAttribute, StateAttribute


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    OFF = "off"


LIGHT = StateMachine.of("test.light", Light, {
    Light.RED: {Light.GREEN, Light.OFF}, Light.GREEN: {Light.RED, Light.OFF}, Light.OFF: set()},
    {Light.RED: "红", Light.GREEN: "绿", Light.OFF: "关"})


def test_moves_sources_and_labels_come_from_the_table() -> None:
    assert LIGHT.can_move("red", "green") and not LIGHT.can_move("off", "red")
    assert sorted(LIGHT.sources("off")) == ["green", "red"]
    assert LIGHT.final == frozenset({Light.OFF})
    assert LIGHT.label("green") == "绿"
    assert LIGHT.schema() == {"type": "string", "enum": ["red", "green", "off"]}
    with pytest.raises(ConflictError) as exc:
        LIGHT.require("off", "red")
    assert "关" in exc.value.message and "红" in exc.value.message


def test_a_table_must_label_and_route_every_state() -> None:
    class Two(StrEnum):
        A = "a"
        B = "b"
    with pytest.raises(ValueError):
        StateMachine.of("test.unlabelled", Two, {Two.A: {Two.B}, Two.B: set()}, {Two.A: "甲"})
    with pytest.raises(ValueError):
        StateMachine.of("test.unrouted", Two, {Two.A: {Two.B}}, {Two.A: "甲", Two.B: "乙"})


def test_state_attribute_refuses_an_unknown_state() -> None:
    attr = StateAttribute(LIGHT)
    assert attr.serialize("red") == "red"
    with pytest.raises(ValueError):
        attr.serialize("reserving")


def test_fen_attribute_takes_integers_only() -> None:
    attr = FenAttribute()
    assert attr.serialize(40000) == "40000"
    for bad in (400.0, "400", True):
        with pytest.raises(ValueError):
            attr.serialize(bad)


def test_every_state_field_of_every_model_is_bound_to_its_table() -> None:
    """A field named *status / *state / disposition / kind that is a plain string could be
    written with any value: each must be a StateAttribute (so the table knows every value)."""
    from chalicelib.platform.store.base import registered_models
    from chalicelib.platform.store.tables import load_models
    load_models()
    loose = []
    for model in registered_models():
        for name, attr in model.get_attributes().items():
            stateful = (name.endswith(("status", "state")) or name == "disposition") \
                and not name.startswith("edition_")  # "<edition>#<status>": an index key
            if stateful and not isinstance(attr, StateAttribute):
                loose.append(f"{model.__name__}.{name}")
    assert loose == []
