"""The full fine-tune on pairs made from the corpus alone, with the real model: `rag-agent
finetune --offline N` trains, re-embeds and switches a tiny index, and it still finds its
documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_agent import RagIndex, SourceDocument
from rag_agent.cli import main

pytestmark = pytest.mark.integration

BASE = "all-MiniLM-L6-v2"
FACTS = {
    "volcano": ["Magma rises through the crust and gathers in a chamber below the mountain.",
                "Pressure builds until the magma erupts from the vent as lava.",
                "Ash clouds from large eruptions can cool the climate for a year."],
    "reef": ["Coral polyps build limestone skeletons in warm shallow seas.",
             "Algae living inside the polyps give the reef most of its food.",
             "Warmer water makes the polyps expel the algae, and the coral bleaches."],
    "glacier": ["Snow that survives the summer is compacted into dense glacial ice.",
                "Under its own weight the ice flows slowly down the valley.",
                "Rocks frozen into its base scrape the bedrock into a U shape."],
    "desert": ["Very little rain falls in a desert in the course of a year.",
               "Wind moves the dunes a few metres across the sand every season.",
               "Cacti store water in their stems to survive the long dry months."],
}


def test_cli_offline_pairs_fine_tune_and_switch_the_index(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "ix"
    with RagIndex.open(folder) as index:
        index.add_documents([SourceDocument(k, " ".join(v), f"{k.title()} notes", {})
                             for k, v in FACTS.items()])
    assert main(["finetune", "--index", str(folder), "--offline", "12", "--epochs", "2",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "12 offline pairs (ict) from the corpus" in out and "12 training pairs" in out
    assert f"model {BASE}+ft-" in out and f"it replaced {BASE} in one commit" in out
    assert main(["stats", "--index", str(folder)]) == 0
    assert f"model version: 1, fine-tuned from {BASE} on 12 pairs" in capsys.readouterr().out
    assert main(["search", "--index", str(folder), "Why does coral bleach?", "-k", "1"]) == 0
    assert "Reef notes" in capsys.readouterr().out
    assert main(["finetune", "--index", str(folder), "--offline", "4", "--offline-kind",
                 "title", "--tenant", "nobody", "--no-progress"]) == 2
    assert "0 training pair(s)" in capsys.readouterr().err
