"""Text lengths in tokens for the cost model: a reference tokenizer that does not load leaves
them in characters and never fails describing the data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shift_search.executor.datasets import token_length


@pytest.fixture
def fresh_tokenizer() -> Iterator[None]:
    token_length.reference_tokenizer.cache_clear()
    yield
    token_length.reference_tokenizer.cache_clear()


def test_a_tokenizer_that_does_not_load_leaves_lengths_in_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_tokenizer: None
) -> None:
    (tmp_path / "tokenizer.json").write_text("not a tokenizer")
    (tmp_path / "config.json").write_text("{}")
    monkeypatch.setattr(token_length, "minilm_tokenizer_dir", lambda: tmp_path)
    assert token_length.mean_tokens(["a text to count"]) is None
