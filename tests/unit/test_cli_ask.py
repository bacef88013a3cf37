import argparse

import pytest

from rag_agent.cli_ask import _unreachable, ask
from rag_agent.errors import ConfigError


def test_an_endpoint_probe_names_a_dead_port_and_never_guesses_a_url() -> None:
    assert "127.0.0.1:9/v1/models" in (_unreachable("http://127.0.0.1:9/v1") or "")
    assert _unreachable("") is None  # no base URL: the client library's default, not probed


@pytest.mark.parametrize("question", ["", "  ", "?!"])
def test_an_empty_question_is_refused_before_the_index_is_used(question: str) -> None:
    with pytest.raises(ConfigError, match="is empty: ask about something in the index"):
        ask(None, argparse.Namespace(question=question))
