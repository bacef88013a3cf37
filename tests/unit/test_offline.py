"""`rag_agent.finetune.offline`: training pairs made from the corpus alone, per kind, spread
over the documents, deterministic and tenant-scoped."""

from pathlib import Path

import pytest

from rag_agent import IndexConfig, RagIndex, SourceDocument
from rag_agent.errors import ConfigError
from rag_agent.finetune import offline_pairs
from rag_agent.finetune.pairs import training_set

TOPICS = ("harbour", "lighthouse", "railway", "cathedral")


def _text(topic: str) -> str:
    return " ".join(f"The {topic} record number {n} lists the repairs of that year in full."
                    for n in range(6)) + " Short one."


@pytest.fixture
def index(tmp_path: Path, fake_embedder) -> RagIndex:
    """Four documents of a few children each in tenant 'acme'; one more in 'globex'."""
    ix = RagIndex.open(tmp_path / "ix", embedder=fake_embedder,
                       config=IndexConfig(child_tokens=48))
    ix.add_documents([SourceDocument(t, _text(t), f"The {t.title()} book") for t in TOPICS],
                     tenant="acme")
    ix.add_documents([SourceDocument("secret", _text("vault"), "Vault")], tenant="globex")
    yield ix
    ix.close()


def test_ict_pairs_take_the_query_sentence_out_of_its_passage(index: RagIndex) -> None:
    pairs = offline_pairs(index, 40, kind="ict", tenant="acme")
    assert pairs and all(p.unit_id is None for p in pairs)  # the positive is no unit's text
    children = {c.text: c for c in index.units("child", tenant="acme")}
    for p in pairs:
        assert p.query not in p.positive and len(p.query.split()) >= 6  # "Short one." never
        assert p.positive.startswith(f"The {p.source_id.title()} book\n")  # the title line
        holder = next(c for t, c in children.items() if p.query in t)
        assert holder.source_id == p.source_id
        body = p.positive.split("\n", 1)[1]
        assert all(s in holder.text for s in body.split(". ") if s)  # its child's other sentences


def test_pairs_are_spread_over_documents_and_repeat_with_the_seed(index: RagIndex) -> None:
    pairs = offline_pairs(index, 6, kind="ict", tenant="acme")
    assert {p.source_id for p in pairs[:4]} == set(TOPICS)  # one per document before a second
    assert len(pairs) == 6 and len({p.query for p in pairs}) == 6
    assert offline_pairs(index, 6, kind="ict", tenant="acme") == pairs
    assert offline_pairs(index, 6, kind="ict", tenant="acme", seed=1) != pairs
    every = offline_pairs(index, 1000, kind="sentence", tenant="acme")
    assert len(every) == 4 * 6  # every long-enough sentence once, then no more


def test_title_and_sentence_pairs(index: RagIndex) -> None:
    titles = offline_pairs(index, 10, kind="title", tenant="acme")
    assert sorted(p.query for p in titles) == sorted(f"The {t.title()} book" for t in TOPICS)
    assert all(p.query not in p.positive and p.source_id in p.positive for p in titles)
    own = offline_pairs(index, 5, kind="sentence", tenant="acme")
    stored = index.embedded_texts([p.unit_id for p in own], tenant="acme")
    assert all(p.query in p.positive and p.unit_id in stored for p in own)
    index.add_documents([SourceDocument("2023 Q3 AAPL", _text("filing"), "2023 Q3 AAPL")],
                        tenant="files")
    assert offline_pairs(index, 10, kind="title", tenant="files") == []  # a file name, no title


def test_pairs_never_come_from_another_tenant_and_bad_asks_are_errors(index: RagIndex) -> None:
    assert {p.source_id for p in offline_pairs(index, 100, kind="sentence",
                                               tenant="globex")} == {"secret"}
    assert offline_pairs(index, 10, tenant="nobody") == []
    with pytest.raises(ConfigError, match="unknown offline pair kind 'cloze'"):
        offline_pairs(index, 10, kind="cloze")
    with pytest.raises(ConfigError, match="at least 1"):
        offline_pairs(index, 0)


def test_a_neighbour_holding_the_query_word_for_word_is_no_negative(tmp_path: Path,
                                                                   fake_embedder) -> None:
    ix = RagIndex.open(tmp_path / "ix", embedder=fake_embedder)
    repeated = "Revenue recognition follows the five step model of the standard."
    ix.add_documents([SourceDocument(f"q{n}", f"Quarter {n} results were mixed overall. "
                                     + repeated, f"Quarter {n}") for n in range(3)]
                     + [SourceDocument(f"o{n}", f"Other text {n} about weather and tides.",
                                       f"Other {n}") for n in range(6)])
    pairs = [p for p in offline_pairs(ix, 20, kind="sentence") if p.query == repeated]
    data = training_set(ix, [], pairs + offline_pairs(ix, 2, kind="title"))
    texts = ix.embedded_texts([u for ids in data.negatives for u in ids])
    for pair, ids in zip(data.pairs, data.negatives, strict=True):
        if pair.query == repeated:
            assert ids and all(repeated not in texts[u] for u in ids)
    ix.close()

