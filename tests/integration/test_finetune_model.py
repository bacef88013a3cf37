"""The full fine-tune on real parts: a model trained on labelled queries, the index re-embedded
with it and switched in one commit; processes that opened the index follow or refuse the
switch; a SIGKILL while re-embedding leaves the old model whole and a re-run resumes."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag_agent import RagIndex, SourceDocument
from rag_agent.cli import main
from rag_agent.errors import IndexMismatchError
from rag_agent.finetune import LabelledQuery, tune_model
from rag_agent.index import db
from rag_agent.index.embedded import unit_texts

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("switch_worker.py")
BASE = "all-MiniLM-L6-v2"
TOPICS = {
    "volcano": "Magma rises through the crust and erupts as lava from the vent",
    "reef": "Coral polyps build limestone skeletons in warm shallow seas",
    "glacier": "Compacted snow turns to ice that flows slowly down the valley",
    "desert": "Little rain falls and dunes move with the wind across the sand",
    "forest": "Tall trees form a canopy that shades the humid forest floor",
    "tundra": "Permafrost stays frozen beneath a thin layer of moss and lichen",
}
LABELS = [LabelledQuery(q, (f"{k}-0",)) for k, q in {
    "volcano": "Where does lava come from?", "reef": "Who builds limestone under the sea?",
    "glacier": "How does ice move down a valley?", "desert": "Where do dunes move?",
    "forest": "What shades the humid ground?", "tundra": "Where is the ground frozen?"}.items()]


def _corpus() -> list[SourceDocument]:
    """12 documents of 8 distinct sentences each: enough texts for many small batches."""
    return [SourceDocument(f"{k}-{j}", " ".join(f"{v} at site {j * 10 + n}." for n in range(8)),
                           f"{k.title()} {j}", {}) for k, v in TOPICS.items() for j in range(2)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of `_corpus()` (packaged model) with a fine-tuned model trained beside it in
    `models/model-1`, not switched to."""
    folder = tmp_path_factory.mktemp("finetune") / "base"
    with RagIndex.open(folder) as index:
        index.add_documents(_corpus())
        run = tune_model(index, LABELS, epochs=1, batch_size=4, switch=False)
    assert Path(run.folder) == folder / "models" / "model-1"
    return folder


def _copy(trained: Path, tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "ix"
    shutil.copytree(trained, folder)
    return folder, folder / "models" / "model-1"


def _assert_whole(folder: Path, staged: int = 0) -> str:
    """Every unit's vector is the index's model applied to what it embeds (an extractive summary:
    the mean of its children), FAISS agrees with SQLite, `staged` rows are staged; returns the
    model id."""
    with RagIndex.open(folder, create=False) as index:
        units = unit_texts(index.conn, index.config, index.embedder.count_tokens)
        stored = index.unit_vectors([u.unit_id for u in units])
        embedded = [u for u in units if u.embedded is not None]
        fresh = index.embedder.encode([u.embedded for u in embedded])
        cosines = [float(stored[u.unit_id] @ v) for u, v in zip(embedded, fresh, strict=True)]
        assert min(cosines) > 0.999, "a unit holds a vector of another model"
        for u in units:
            if u.embedded is None:
                children = np.mean([stored[c.unit_id] for c in units
                                    if c.kind == "child" and c.doc_id == u.doc_id], axis=0)
                assert float(stored[u.unit_id] @ children) / np.linalg.norm(children) > 0.999
        for kind in ("summary", "child", "sentence"):
            some = [u.unit_id for u in units if u.kind == kind][:5]
            for uid in some:
                top = index.search(stored[uid].reshape(1, -1), kind=kind, k=1)[0]
                assert top.unit_id == uid and top.score > 0.999
        assert index.conn.execute("SELECT count(*) FROM staged_vectors").fetchone()[0] == staged
        return index.embedder.model_id


def test_cli_fine_tunes_the_model_and_switches_the_index(tmp_path: Path, real_embedder,
                                                        capsys) -> None:
    folder = tmp_path / "ix"
    with RagIndex.open(folder) as index:
        index.add_documents(_corpus())
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps({"query": q.query, "source_ids": list(q.source_ids)})
                              + "\n" for q in LABELS), encoding="utf-8")
    assert main(["finetune", "--index", str(folder), "--adapter", "--pairs", str(labels),
                 "--epochs", "2", "--no-progress"]) == 0
    assert list(folder.glob("query-adapter-*"))
    capsys.readouterr()
    assert main(["finetune", "--index", str(folder), "--pairs", str(labels), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "6 training pairs" in out and f"model {BASE}+ft-" in out
    assert "re-embedded" in out and f"it replaced {BASE} in one commit" in out
    assert main(["stats", "--index", str(folder)]) == 0
    stats = capsys.readouterr().out
    assert f"model version: 1, fine-tuned from {BASE} on 6 pairs" in stats
    assert "query adapter: none" in stats  # it mapped the old model's vectors
    assert not list(folder.glob("query-adapter-*"))
    model_id = _assert_whole(folder)
    assert model_id.startswith(f"{BASE}+ft-")
    weights = [p.name for p in (folder / "models" / "model-1").rglob("*") if p.is_file()]
    assert "model.safetensors" in weights
    assert not [w for w in weights if w.endswith((".bin", ".pt", ".pkl", ".pickle"))]
    with pytest.raises(IndexMismatchError, match="models/model-1"):
        RagIndex.open(folder, embedder=real_embedder)
    assert main(["search", "--index", str(folder), "Where does lava come from?", "-k", "1"]) == 0
    assert "Volcano" in capsys.readouterr().out


def test_open_processes_follow_the_switch_or_are_refused(trained: Path, tmp_path: Path,
                                                         real_embedder) -> None:
    folder, model = _copy(trained, tmp_path)
    follower = RagIndex.open(folder)
    pinned = RagIndex.open(folder, embedder=real_embedder)
    assert follower.search("Where does lava come from?", k=1)[0].source_id.startswith("volcano")
    with db.write(follower.conn):  # staged rows of an abandoned switch to another model
        follower.conn.execute("INSERT INTO staged_vectors VALUES ('abandoned', x'00', x'00')")
    with RagIndex.open(folder) as switcher:
        report = switcher.switch_model(model)
        assert report.previous == BASE and report.embedded == report.texts
        expected = switcher.search("Where does lava come from?", k=3)
    hits = follower.search("Where does lava come from?", k=3)
    assert follower.embedder.model_id == report.model_id
    assert [(h.unit_id, round(h.score, 5)) for h in hits] == \
        [(h.unit_id, round(h.score, 5)) for h in expected]
    with pytest.raises(IndexMismatchError, match="switched by a fine-tune"):
        pinned.search("Where does lava come from?")
    new = [SourceDocument("new", "A new document about rivers.", "New", {})]
    with pytest.raises(IndexMismatchError, match="switched by a fine-tune"):
        pinned.add_documents(new)
    pinned.refresh = lambda: None  # the switch lands between a batch's embedding and its commit
    with pytest.raises(IndexMismatchError, match="nothing of this write was stored"):
        pinned.add_documents(new)
    assert follower.stats().documents == 12
    follower.close()
    pinned.conn.close()
    assert _assert_whole(folder) == report.model_id


def _run_worker(folder: Path, model: Path, batch: int, kill_after: int | None,
                *extra: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, str(WORKER), str(folder), str(model), str(batch),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.strip())
        if kill_after is not None and sum(x.startswith("ENCODED") for x in lines) >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=300)
    return lines


@pytest.mark.parametrize("kill_after", [1, 4])
def test_a_kill_while_re_embedding_keeps_the_old_model_and_a_rerun_resumes(
        trained: Path, tmp_path: Path, kill_after: int) -> None:
    folder, model = _copy(trained, tmp_path)
    batch = 16
    lines = _run_worker(folder, model, batch, kill_after)
    assert not any(x.startswith("SWITCHED") for x in lines)
    with RagIndex.open(folder, create=False) as index:
        staged = index.conn.execute("SELECT count(*) FROM staged_vectors").fetchone()[0]
    assert staged >= (kill_after - 1) * batch
    assert _assert_whole(folder, staged=staged) == BASE  # the old model, all of its vectors
    with RagIndex.open(folder, create=False) as index:
        assert db.get_meta(index.conn, "model") is None
        report = index.switch_model(model)
    assert report.resumed == staged and report.embedded == report.texts - staged
    assert _assert_whole(folder) == report.model_id


def test_a_kill_right_after_the_commit_leaves_the_new_model_everywhere(trained: Path,
                                                                      tmp_path: Path) -> None:
    folder, model = _copy(trained, tmp_path)
    lines = _run_worker(folder, model, 64, None, "die-after-commit")
    assert lines[-1].startswith("SWITCHED")
    model_id = _assert_whole(folder)  # FAISS files were never saved: rebuilt from SQLite
    assert model_id.startswith(f"{BASE}+ft-")


def test_cli_switch_to_a_folder_records_its_card_and_encoder(trained: Path, tmp_path: Path,
                                                                 capsys) -> None:
    folder, model = _copy(trained, tmp_path)
    assert main(["finetune", "--index", str(folder), "--switch-to", str(model),
                 "--model-encoder", "onnx-int8", "--no-progress"]) == 0
    assert f"it replaced {BASE} in one commit" in capsys.readouterr().out
    assert main(["stats", "--index", str(folder)]) == 0  # the recorded encoder runs it
    stats = capsys.readouterr().out
    assert f"model version: 1, fine-tuned from {BASE} on 6 pairs" in stats
    assert "+onnx-int8 (384 dims, encoder onnx-int8)" in stats
    assert _assert_whole(folder).endswith("+onnx-int8")
    assert main(["finetune", "--index", str(folder), "--switch-to", str(model)]) == 2
    assert "already uses model" in capsys.readouterr().err


def test_a_follower_whose_encoder_makes_another_model_id_is_refused(trained: Path,
                                                                    tmp_path: Path) -> None:
    folder, model = _copy(trained, tmp_path)
    with RagIndex.open(folder) as switcher:
        switcher.switch_model(model)  # the fine-tuned model, run by torch
    pinned = RagIndex.open(folder, encoder="torch")  # a fine-tuned index, torch asked for
    free = RagIndex.open(folder)  # whatever the index records
    assert pinned.embedder.model_id == free.embedder.model_id
    with RagIndex.open(folder) as switcher:  # the same weights served by int8: another id
        report = switcher.switch_model(model, encoder="onnx-int8")
    assert report.model_id == f"{report.previous}+onnx-int8"
    with pytest.raises(IndexMismatchError, match=re.escape(
            f"the encoder 'torch' this process asked for makes '{report.previous}': open it "
            "again without an encoder")):
        pinned.search("Where does lava come from?")
    assert pinned.embedder.model_id == report.previous  # nothing adopted
    assert free.search("Where does lava come from?", k=1)[0].source_id.startswith("volcano")
    assert free.embedder.model_id == report.model_id  # the other one followed
    pinned.close()
    free.close()
