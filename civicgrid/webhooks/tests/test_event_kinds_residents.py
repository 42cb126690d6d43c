"""The registry's machines (residents) offer no webhook kinds: its events are personal."""

from civicgrid.webhooks.choices import event_kinds


def test_no_residents_kind_is_offered() -> None:
    kinds = event_kinds()
    assert "cases.dispatch" in kinds
    assert not any(kind.startswith("residents") for kind in kinds)
