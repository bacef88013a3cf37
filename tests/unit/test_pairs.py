"""`rag_agent.finetune.pairs`: labelled queries from JSONL, and pairs resolved in an index."""

from pathlib import Path

import pytest

from rag_agent import IndexConfig, RagIndex, SourceDocument
from rag_agent.errors import ConfigError
from rag_agent.finetune.pairs import LabelledQuery, Pair, read_labelled, resolve_pairs


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_labelled_queries_are_read_with_ids_and_texts(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"query": " Who built it? ", "source_ids": ["a", 12]}', "",
                  '{"query": "Why?", "texts": ["Because."], "source_ids": []}')
    assert read_labelled(path) == [LabelledQuery("Who built it?", ("a", "12")),
                                   LabelledQuery("Why?", (), ("Because.",))]


@pytest.mark.parametrize(("line", "says"), [
    ("{not json", "pairs.jsonl:2: not JSON"),
    ('["query"]', "pairs.jsonl:2: expected an object"),
    ('{"source_ids": ["a"]}', "pairs.jsonl:2: 'query' must be a non-empty string"),
    ('{"query": "q", "source_ids": "a"}', "pairs.jsonl:2: 'source_ids' must be a list"),
    ('{"query": "q"}', "pairs.jsonl:2: give 'source_ids' or 'texts'"),
])
def test_a_bad_line_is_an_error_naming_it(tmp_path: Path, line: str, says: str) -> None:
    path = _write(tmp_path, '{"query": "fine", "texts": ["ok"]}', line)
    with pytest.raises(ConfigError, match=says.replace("?", r"\?")):
        read_labelled(path)
    with pytest.raises(ConfigError, match="does not exist"):
        read_labelled(tmp_path / "missing.jsonl")


def test_pairs_take_each_document_s_best_child_within_the_tenant(tmp_path: Path,
                                                                 real_embedder) -> None:
    ix = RagIndex.open(tmp_path / "ix", embedder=real_embedder,
                       config=IndexConfig(child_tokens=40))
    text = ("The harbour was dredged in 1870 to take larger ships. "
            "Its lighthouse keeps a small museum of old lamps. " * 2 +
            "The town hall was built of red sandstone in 1902. "
            "Its clock tower was added after a fire in 1931.")
    ix.add_documents([SourceDocument("town", text, "Town")], tenant="acme")
    ix.add_documents([SourceDocument("secret", "The town hall clock tower.", "Secret")],
                     tenant="globex")
    report = resolve_pairs(ix, [
        LabelledQuery("When was the clock tower added to the town hall?",
                      ("town", "secret", "nowhere"), ("Given text.",))], tenant="acme")
    query = "When was the clock tower added to the town hall?"
    assert report.pairs[0] == Pair(query, "Given text.")
    (town,) = report.pairs[1:]
    assert town.source_id == "town" and "clock tower" in town.positive
    assert "harbour" not in town.positive  # the relevant child, not the document's opening
    assert report.missing == [(query, "secret"), (query, "nowhere")]  # no other tenant's text
    ix.close()
