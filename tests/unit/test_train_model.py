"""`train_model`: queries move toward their positives, the time budget stops it, the folder holds safetensors only
and an id tied to its weights (the real packaged model, a few steps)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag_agent.errors import ConfigError
from rag_agent.finetune import TrainingExample, train_model
from rag_agent.models import MODEL_CARD, SentenceTransformerEmbedder, default_model_path

EXAMPLES = [TrainingExample(q, p, (n,)) for q, p, n in [
    ("Where does lava come from?", "Volcano\nMagma rises and erupts as lava.", "Reef\nCoral."),
    ("Who builds limestone reefs?", "Reef\nCoral polyps build limestone.", "Glacier\nIce."),
    ("How does ice move?", "Glacier\nCompacted snow flows as ice.", "Desert\nSand."),
    ("Where do dunes move?", "Desert\nDunes move with the wind.", "Forest\nTrees."),
    ("What shades the ground?", "Forest\nA canopy shades the floor.", "Tundra\nMoss."),
    ("Where is the ground frozen?", "Tundra\nPermafrost stays frozen.", "Volcano\nLava."),
    ("Which sea holds coral?", "Reef\nCoral polyps build limestone.", "Desert\nSand."),
    ("What falls on a desert?", "Desert\nLittle rain falls.", "Glacier\nIce."),
]]


def _margin(embedder: SentenceTransformerEmbedder) -> float:
    """Mean cosine of each query to its positive minus to its negative."""
    q = embedder.encode([e.query for e in EXAMPLES])
    p = embedder.encode([e.positive for e in EXAMPLES])
    n = embedder.encode([e.negatives[0] for e in EXAMPLES])
    return float(((q * p).sum(1) - (q * n).sum(1)).mean())


def test_training_separates_positives_and_writes_a_safe_folder(tmp_path: Path,
                                                               real_embedder) -> None:
    out = tmp_path / "model-1"
    report = train_model(EXAMPLES, default_model_path(), out, epochs=3, batch_size=4, lr=1e-4)
    assert report.steps == 6 and not report.stopped_by_budget
    card = json.loads((out / MODEL_CARD).read_text())
    assert card["model_id"] == report.model_id and report.model_id.startswith(
        "all-MiniLM-L6-v2+ft-")
    files = [p.name for p in out.rglob("*") if p.is_file()]
    assert "model.safetensors" in files and not [f for f in files if f.endswith(".bin")]
    assert not out.with_name("model-1.tmp").exists()
    tuned = SentenceTransformerEmbedder(out)
    assert tuned.model_id == report.model_id and tuned.encode(["lava"]).shape == (1, 384)
    assert _margin(tuned) > _margin(real_embedder) + 0.02
    with pytest.raises(ConfigError, match="exists; give a new one"):
        train_model(EXAMPLES, default_model_path(), out)


def test_the_budget_stops_training_and_few_examples_are_refused(tmp_path: Path) -> None:
    report = train_model(EXAMPLES, default_model_path(), tmp_path / "m", epochs=5,
                         batch_size=4, seconds=0)
    assert report.steps == 1 and report.stopped_by_budget
    with pytest.raises(ConfigError, match="at least 2 training examples"):
        train_model(EXAMPLES[:1], default_model_path(), tmp_path / "n")
