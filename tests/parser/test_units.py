"""Names, literals and the statement splitter."""

from __future__ import annotations

from shift_search.parser import names
from shift_search.parser.literals import quote, read_number, unquote
from shift_search.parser.splitter import is_complete, split_statements


def test_proxy_aliases() -> None:
    spellings = {
        "Euclidean NN": "euclidean_nn",
        "EuclideanNN": "euclidean_nn",
        "L2NN": "euclidean_nn",
        "Cosine NN": "cosine_nn",
        "CosineNN": "cosine_nn",
        "LinearProbe": "linear",
        "kNN": "knn",
        "LogME": "logme",
        "FineTune": "finetune",
        "My Thing": "my_thing",
    }
    assert {s: names.proxy_name(s) for s in spellings} == spellings


def test_param_and_column_aliases() -> None:
    assert names.param_name("learning_rate") == "lr"
    assert names.param_name("num_epochs") == "epochs"
    assert names.column_name("UpstreamAccuracy") == "upstream_accuracy"
    assert names.column_name("Weird") == "weird"
    assert names.table_name("Readers") == "datasets"
    assert names.table_name("Q1") is None


def test_numbers_and_strings() -> None:
    assert read_number("10K") == 10_000
    assert read_number("1.5b") == 1_500_000_000
    assert read_number("2e-5") == 2e-5
    assert read_number("7", negative=True) == -7
    assert unquote(quote('a "b" \\ c')) == 'a "b" \\ c'
    assert unquote("`x\\`y`") == "x`y"


def test_splitter_respects_strings_and_comments() -> None:
    chunks = list(split_statements("a ';' # ;\n b; -- ;\n;\n  c"))
    assert [c.text for c in chunks] == ["a ';' # ;\n b;", "\n  c"]
    assert [(c.line, c.column) for c in chunks] == [(1, 1), (3, 2)]


def test_a_script_is_complete_when_its_last_statement_has_its_semicolon() -> None:
    assert is_complete("SELECT * FROM m;") and is_complete("PURGE; -- done\n") and is_complete("")
    assert not is_complete("SELECT * FROM m") and not is_complete("PURGE; SELECT 'a;'")
    assert is_complete("PURGE; # a comment's ; ends nothing\n")
    assert not is_complete("SELECT * FROM m WHERE a = 'open;")
