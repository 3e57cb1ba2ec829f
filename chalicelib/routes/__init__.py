"""Chalice blueprints: parse -> one service call -> serialise. No rules here."""
