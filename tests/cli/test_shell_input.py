"""The shell's reading of what was typed: when a statement is whole, and what Tab offers."""

from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from shift_search.cli.shell.catalog import Catalog
from shift_search.cli.shell.completion import ShiftCompleter
from shift_search.cli.shell.input import is_complete, shell_command

CATALOG = Catalog(
    models=("bert-a", "bert_b"),
    datasets=("fine-food-train", "fine-food-test"),
    columns=("name", "num_params"),
    variables=("best",),
)


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("select * from models;", True),
        ("select *\nfrom models\n;  # done", True),
        ("select * from models", False),
        ("select * from models where name = 'a;b'", False),  # the `;` is in a string
        ("select * from models -- ;", False),  # … or in a comment
        ('select * from models where name = "x";', True),
        ("", True),
        ("quit", True),
        ("help;", True),
    ],
)
def test_a_statement_is_whole_once_a_real_semicolon_ends_it(text: str, whole: bool) -> None:
    assert is_complete(text) is whole


def test_shell_commands_are_read_in_any_case() -> None:
    assert [shell_command(t) for t in ("QUIT", " exit; ", "\\q", "select")] == [
        "quit",
        "exit",
        "\\q",
        None,
    ]


def completions(text: str) -> list[str]:
    completer = ShiftCompleter(lambda: CATALOG)
    found = completer.get_completions(Document(text), CompleteEvent(completion_requested=True))
    return [c.text for c in found]


def test_tab_offers_keywords_in_the_case_typed_and_names_quoted_as_needed() -> None:
    assert completions("sel") == ["select"]
    assert completions("SEL") == ["SELECT"]
    assert completions("select num") == ["num_params"]
    assert completions("select * from text") == ["text_models"]
    assert completions("select * from models where name = bert") == ['"bert-a"', "bert_b"]
    assert completions("print bes") == ["best"]
    assert "between" in completions("print be") and "best" in completions("print be")


def test_after_a_quote_only_names_come_closed_by_the_same_quote() -> None:
    assert completions('trained on "fine-food-t') == ['"fine-food-train"', '"fine-food-test"']
    assert completions("classified by ['Cos") == ["'Cosine NN'"]
    assert completions('"zzz') == []
