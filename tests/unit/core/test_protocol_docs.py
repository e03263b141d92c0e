"""docs/protocol.md carries the JSON Schemas of the current validation models."""

from __future__ import annotations

from watchparty.core import schemas


def test_protocol_document_matches_the_models() -> None:
    text = schemas.DOC.read_text()
    assert schemas.render() in text, "run: python -m watchparty.core.schemas"


def test_every_command_is_documented() -> None:
    text = schemas.DOC.read_text()
    for event in ("PLAY", "PAUSE", "SEEK", "CHANGE_VIDEO", "UPDATE_QUEUE", "TIME"):
        assert f"| `{event}`" in text or f"`{event} " in text
        assert f"#### `{event}`" in text


def test_protocol_document_carries_the_error_catalogue() -> None:
    assert schemas.render_errors() in schemas.DOC.read_text(), (
        "run: python -m watchparty.core.schemas"
    )
