"""The command line refuses numbers that cannot work, before anything is opened."""

from __future__ import annotations

import pytest

from rag_agent.cli import main


@pytest.mark.parametrize("argv", [
    ["ask", "q", "-k", "-5"], ["ask", "q", "-k", "0"], ["ask", "q", "--budget", "0"],
    ["search", "q", "-k", "-1"], ["search", "q", "-k", "two"],
    ["finetune", "--epochs", "0"], ["finetune", "--minutes", "-3"], ["finetune", "--minutes", "nan"],
    ["finetune", "--generate", "0"],
])
def test_non_positive_numbers_are_usage_errors_naming_the_option(
        argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--index", str(tmp_path / "none")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    option = next(a for a in argv if a.startswith("-"))
    assert f"argument {option}" in err and ("must be" in err or "is not" in err)
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("query", ["", "  ", "?"])
def test_an_empty_search_is_refused_before_the_index_is_opened(
        query: str, capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    assert main(["search", query, "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert f"the query {query!r} is empty" in err and "rag-agent search" in err
    assert not (tmp_path / "none").exists()
