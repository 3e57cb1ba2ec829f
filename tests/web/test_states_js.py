"""The web's state labels come from the server's state tables, not from a copy."""
from __future__ import annotations

from devtools import web_states


def test_web_states_js_is_generated_from_the_tables() -> None:
    """Fails when a state table changed and `python -m devtools.web_states` was not run."""
    assert web_states.TARGET.read_text("utf-8") == web_states.render()


def test_every_state_the_api_can_answer_has_a_web_label() -> None:
    machines = web_states.load_machines()
    for name in ("registration.status", "registration.payment_status", "order.status",
                 "refund.status", "invoice.status"):
        assert name in machines
    # the states the first round wrote but no label knew (trainees saw the English word)
    assert machines["registration.payment_status"]["refunding"] == "退费中"
    assert "reserving" in machines["order.status"]
    assert all(label and not label.isascii() for m in machines.values() for label in m.values())


def test_the_web_takes_its_labels_from_states_js() -> None:
    ui = (web_states.ROOT / "web" / "ui.js").read_text("utf-8")
    assert 'from "./states.js"' in ui
    assert "export const STATUS_LABELS = STATE_LABELS" in ui
