"""The query adapter end to end on real parts: trained from a JSONL file by the CLI, installed
in the index, applied per call and per agent run, surviving a reopen and a crash mid-install."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag_agent import RagIndex, SourceDocument
from rag_agent.cli import main
from rag_agent.errors import ConfigError
from rag_agent.finetune import LabelledQuery, QueryAdapter, tune_adapter
from rag_agent.index import db
from rag_agent.retrieval.tools import make_retrievers

pytestmark = pytest.mark.integration

TOPICS = {
    "volcano": "Magma rises through the crust and erupts as lava from the vent.",
    "reef": "Coral polyps build limestone skeletons in warm shallow seas.",
    "glacier": "Compacted snow turns to ice that flows slowly down the valley.",
    "desert": "Little rain falls, and dunes move with the wind across the sand.",
    "forest": "Tall trees form a canopy that shades the humid forest floor.",
    "tundra": "Permafrost stays frozen beneath a thin layer of moss and lichen.",
}
QUESTIONS = {
    "volcano": ["Where does lava come from?", "What erupts from a mountain?"],
    "reef": ["Who builds limestone under the sea?", "What lives in warm shallow water?"],
    "glacier": ["How does ice move down a valley?", "What does compacted snow become?"],
    "desert": ["Where do dunes move with the wind?", "Which place gets little rain?"],
    "forest": ["What shades the humid ground?", "Where do tall trees form a canopy?"],
    "tundra": ["Where is the ground frozen all year?", "Where do moss and lichen grow?"],
}


def _index(folder: Path, embedder) -> RagIndex:
    index = RagIndex.open(folder, embedder=embedder)
    index.add_documents([SourceDocument(k, f"{v} " * 3, k.title(), {}) for k, v in TOPICS.items()])
    return index


def _pairs_file(tmp_path: Path) -> Path:
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps({"query": q, "source_ids": [k]}) + "\n"
                            for k, qs in QUESTIONS.items() for q in qs)
                    + json.dumps({"query": "Which island is made of coral?",
                                  "texts": ["An atoll is a ring of coral reef."]}) + "\n"
                    + json.dumps({"query": "Who names a missing one?",
                                  "source_ids": ["nowhere"]}) + "\n", encoding="utf-8")
    return path


def test_cli_trains_installs_and_stats_shows_the_adapter(tmp_path: Path, real_embedder,
                                                         capsys) -> None:
    folder = tmp_path / "ix"
    _index(folder, real_embedder).close()
    assert main(["finetune", "--index", str(folder), "--adapter", "--pairs",
                 str(_pairs_file(tmp_path)), "--epochs", "5", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "13 training pairs; 1 labelled source id(s) not in the index (first: 'nowhere')" in out
    assert "query adapter: 5 epochs" in out and "installed (" in out
    assert "note: 13 pairs is few" in out
    assert main(["stats", "--index", str(folder)]) == 0
    assert "query adapter: version 1, 13 pairs, 5 epochs" in capsys.readouterr().out
    with RagIndex.open(folder, embedder=real_embedder) as index:
        raw = index.embed_query("Where does lava come from?", adapter=False)
        mapped = index.embed_query("Where does lava come from?")
        assert index.adapter is not None
        assert np.allclose(mapped, index.adapter.apply(raw)) and not np.allclose(mapped, raw)
    assert main(["finetune", "--index", str(folder), "--remove-adapter"]) == 0
    assert main(["stats", "--index", str(folder)]) == 0
    assert "query adapter: none" in capsys.readouterr().out.split("removed")[-1]
    assert not list(folder.glob("query-adapter-*"))


def test_the_cli_says_what_is_missing(tmp_path: Path, real_embedder, capsys) -> None:
    folder = tmp_path / "ix"
    _index(folder, real_embedder).close()
    assert main(["finetune", "--index", str(folder), "--pairs", "x.jsonl"]) == 2
    assert "pairs file 'x.jsonl' does not exist" in capsys.readouterr().err
    for mode in ([], ["--adapter"]):
        assert main(["finetune", "--index", str(folder), *mode]) == 2
        assert "give --pairs FILE" in capsys.readouterr().err
    assert not (folder / "models").exists()  # nothing was trained


def test_per_call_and_per_run_switches(tmp_path: Path, real_embedder) -> None:
    from rag_agent.agent.graph import build_agent

    index = _index(tmp_path / "ix", real_embedder)
    question = "Where does lava come from?"
    with pytest.raises(ConfigError, match="has no query adapter"):
        index.embed_query(question, adapter=True)
    labelled = [LabelledQuery(q, (k,)) for k, qs in QUESTIONS.items() for q in qs]
    run, adapter = tune_adapter(index, labelled, epochs=5)
    assert run.installed and run.pairs == 12 and index.adapter is adapter
    seen: list[bool | None] = []
    original = index.embed_query

    def spy(query: str, *, adapter: bool | None = None) -> np.ndarray:
        seen.append(adapter)
        return original(query, adapter=adapter)

    index.embed_query = spy  # type: ignore[method-assign]
    retriever = make_retrievers(index, k=2)["sentence_window"]
    retriever.invoke(question)
    retriever.invoke(question, adapter=False)
    assert seen[:2] == [None, False]
    seen.clear()
    agent = build_agent(index)
    agent.invoke({"question": question}, context={"adapter": False})
    assert seen and set(seen) == {False}  # classifier, retrieval and the extractive answer
    seen.clear()
    agent.invoke({"question": question})
    assert None in seen and False in seen  # the classifier alone reads the model's own vector
    index.close()


def test_reopen_keeps_the_adapter_and_a_crash_mid_install_keeps_the_old(
        tmp_path: Path, real_embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ix"
    index = _index(folder, real_embedder)
    labelled = [LabelledQuery(q, (k,)) for k, qs in QUESTIONS.items() for q in qs]
    _, first = tune_adapter(index, labelled, epochs=3)
    index.close()
    with RagIndex.open(folder, embedder=real_embedder) as index:
        assert np.array_equal(index.adapter.weight, first.weight)
        rng = np.random.default_rng(0)
        second = QueryAdapter(rng.normal(size=(index.dim, index.dim)) * 0.01,
                              np.zeros(index.dim), index.embedder.model_id, {"pairs": 1})

        def crash(conn):
            raise KeyboardInterrupt("killed before the commit")

        monkeypatch.setattr(db, "write", crash)
        with pytest.raises(KeyboardInterrupt):
            index.install_adapter(second)
        monkeypatch.undo()
    with RagIndex.open(folder, embedder=real_embedder) as index:
        assert np.array_equal(index.adapter.weight, first.weight)  # the old one, whole
        assert index.stats().adapter["version"] == 1
        index.install_adapter(second)
        assert index.stats().adapter["version"] == 2
    assert [p.name for p in folder.glob("query-adapter-*")] == ["query-adapter-2.safetensors"]


def test_an_adapter_of_another_model_is_refused(tmp_path: Path, real_embedder) -> None:
    folder = tmp_path / "ix"
    index = _index(folder, real_embedder)
    other = QueryAdapter(np.zeros((index.dim, index.dim)), np.zeros(index.dim), "other-model")
    with pytest.raises(ConfigError, match="trained for 'other-model'"):
        index.install_adapter(other)
    mine = QueryAdapter(np.zeros((index.dim, index.dim)), np.zeros(index.dim),
                        index.embedder.model_id)
    index.install_adapter(mine)
    index.close()
    # the file swapped for one trained on another model: the index does not open with it
    other.save(folder / "query-adapter-1.safetensors")
    with pytest.raises(ConfigError, match="trained for embedding model 'other-model'"):
        RagIndex.open(folder, embedder=real_embedder)
