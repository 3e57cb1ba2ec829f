"""State machines as data. Each feature declares its states once (a StrEnum), the moves
between them and a Chinese label per state; store conditions (`sources`), response schemas
and OpenAPI enums (`schema`), and the web's labels (`web/states.js`, generated from
`all_machines()`) all come from that one table."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Iterable, TypeVar

from chalicelib.platform.errors import ConflictError

S = TypeVar("S", bound=StrEnum)

_MACHINES: dict[str, StateMachine] = {}  # type: ignore[type-arg]


@dataclass(frozen=True)
class StateMachine(Generic[S]):
    """`name` is what the web and the OpenAPI document call it (e.g. "order.status")."""
    name: str
    states: type[S]
    moves: dict[S, frozenset[S]]
    labels: dict[S, str]
    final: frozenset[S] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        known = set(self.states)
        if set(self.moves) != known or set(self.labels) != known:
            raise ValueError(f"{self.name}: every state needs its moves and a label")
        for src, dsts in self.moves.items():
            if not set(dsts) <= known:
                raise ValueError(f"{self.name}: {src} moves to an unknown state")
        if self.name in _MACHINES and _MACHINES[self.name] is not self:
            raise ValueError(f"state machine {self.name} declared twice")
        _MACHINES[self.name] = self

    @classmethod
    def of(cls, name: str, states: type[S], moves: dict[S, Iterable[S]], labels: dict[S, str],
           ) -> StateMachine[S]:
        frozen = {s: frozenset(d) for s, d in moves.items()}
        return cls(name, states, frozen, labels, frozenset(s for s, d in frozen.items() if not d))

    def values(self) -> list[str]:
        return [s.value for s in self.states]

    def can_move(self, src: str, dst: str) -> bool:
        return self.states(dst) in self.moves[self.states(src)]

    def sources(self, dst: str) -> list[str]:
        """The states a move to `dst` may start from: what a conditional write expects."""
        target = self.states(dst)
        return [s.value for s, d in self.moves.items() if target in d]

    def require(self, src: str, dst: str, message: str | None = None) -> None:
        if not self.can_move(src, dst):
            raise ConflictError(message or f"当前状态为“{self.label(src)}”，不能变为“{self.label(dst)}”",
                                code="STATE_CONFLICT", state=src)

    def label(self, state: str) -> str:
        return self.labels[self.states(state)]

    def knows(self, value: object) -> bool:
        return isinstance(value, str) and value in self.states._value2member_map_

    def schema(self) -> dict[str, object]:
        """The JSON schema of a field holding this state (responses, OpenAPI)."""
        return {"type": "string", "enum": self.values()}


def all_machines() -> dict[str, StateMachine]:  # type: ignore[type-arg]
    """Every declared machine, by name (import the features' states modules first)."""
    return dict(_MACHINES)
