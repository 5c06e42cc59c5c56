"""Targeted parser behaviour beyond the goldens."""

from __future__ import annotations

import pytest

from shift_search.parser import ParseErrors, ast, parse, statement_to_json


def one(text: str) -> ast.Statement:
    (statement,) = parse(text).statements
    return statement


def test_positions_are_script_wide_and_statements_know_their_index() -> None:
    script = parse("PURGE;\n  -- c\n  SELECT * FROM m\n  WHERE a = 1;")
    select = script.statements[1]
    assert isinstance(select, ast.Select)
    assert (select.index, select.pos) == (1, ast.Pos(3, 3))
    assert select.where is not None and select.where.pos == ast.Pos(4, 9)


def test_positions_do_not_take_part_in_equality() -> None:
    assert parse("SELECT * FROM models;") == parse("\n\n   select  *  from MODELS ;")


def test_keywords_are_case_insensitive_and_names_canonical() -> None:
    select = one("select NAME, Source, Input from IMAGE_MODELS where ModelID = 'x'")
    assert isinstance(select, ast.Select) and isinstance(select.columns, tuple)
    assert [i.column.name for i in select.columns] == ["name", "source", "modality"]
    assert select.table == ast.Table("image_models")


def test_bare_words_are_identifiers_not_strings() -> None:
    where = one("SELECT * FROM m WHERE source = TensorFlow").where  # type: ignore[union-attr]
    assert where == ast.Comparison(ast.Column("source"), "=", ast.Identifier("TensorFlow"))


def test_numbers_are_typed() -> None:
    select = one("SELECT * FROM m WHERE a IN (10K, 1.5B, 2e-5, 3.0, 7, -2)")
    assert isinstance(select, ast.Select) and isinstance(select.where, ast.InList)
    values = select.where.values
    assert values == (10_000, 1_500_000_000, 2e-5, 3.0, 7, -2)
    assert [type(v) for v in values] == [int, int, float, float, int, int]


def test_paper_and_reference_dialects_give_the_same_proxy() -> None:
    paper = one("SELECT * FROM m ORDER BY Linear(learning_rate=0.1) TRAINED ON a TESTED ON b")
    assert isinstance(paper, ast.Select) and paper.order is not None
    key = paper.order.key
    assert isinstance(key, ast.ProxyOrdering)
    assert key.proxy == ast.ProxySpec("linear", (("lr", 0.1),))


def test_json_has_a_type_per_node() -> None:
    data = statement_to_json(one("PRINT *"))
    assert data == {"type": "Print", "index": 0, "pos": [1, 1]}


def test_select_vec_in_its_exact_form() -> None:
    assert one("select VEC from readers where PROBE = probe_model") == ast.SelectVec(
        "datasets", "probe_model"
    )
    assert one("SELECT vec FROM benchmarks WHERE probe = m") == ast.SelectVec("benchmarks", "m")


def test_near_miss_select_vec_is_an_error_not_a_column() -> None:
    for text in [
        "SELECT vec FROM ds WHERE probe = m LIMIT 1",
        "SELECT vec FROM ds WHERE probe = m AND x = 1",
        "SELECT vec, name FROM ds WHERE probe = m",
        "SELECT vec FROM ds WHERE probe = 'm'",
    ]:
        with pytest.raises(ParseErrors) as info:
            parse(text)
        (error,) = info.value.errors
        assert (
            "SELECT vec FROM <datasets variable> WHERE probe = <models variable>" in error.message
        )


def test_repeated_parameters_are_errors_after_normalisation() -> None:
    for text, column in [
        ("SELECT * FROM m ORDER BY Linear(lr=0.1, learning_rate=0.2)", 41),
        ("FINETUNE m WITH d USING lr=1, lr=2", 31),
    ]:
        with pytest.raises(ParseErrors) as info:
            parse(text)
        (error,) = info.value.errors
        assert error.column == column and "`lr` is given twice" in error.message
    finetune = one("FINETUNE m WITH d USING lr=1, epochs=2")
    assert isinstance(finetune, ast.Finetune)
    assert finetune.params == (("lr", 1), ("epochs", 2))


def test_use_takes_host_and_port() -> None:
    assert one("USE 'my-host:8080'") == ast.Use("my-host:8080")
    assert one('USE "[::1]:50051"') == ast.Use("[::1]:50051")
    for text in ['USE "not a host"', "USE localhost", "USE 'h:70000'"]:
        with pytest.raises(ParseErrors) as info:
            parse(text)
        assert "host:port" in info.value.errors[0].message


def test_malformed_numbers_say_so() -> None:
    with pytest.raises(ParseErrors) as info:
        parse("SELECT * FROM m WHERE a = 1.5e;")
    (error,) = info.value.errors
    assert error.column == 27 and error.message.startswith("`1.5e` is not a number")
