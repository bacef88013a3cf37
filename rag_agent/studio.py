"""What the LangGraph Studio entry points share: the index from the environment, a chat model
if one is configured, and a seed corpus so a fresh clone has something to answer from."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from rag_agent.index.store import RagIndex
from rag_agent.models import encoder_setting
from rag_agent.settings import ENV_INDEX

__all__ = ["REPO", "chat_model_from_env", "open_studio_index"]

REPO = Path(__file__).resolve().parent.parent


@cache
def open_studio_index() -> RagIndex:
    """The index at $RAG_AGENT_INDEX (default: `.studio_index` in the repository), encoded by
    $RAG_AGENT_ENCODER (torch, onnx, onnx-int8; default torch); an empty one is seeded with this repository's README and docs."""
    index = RagIndex.open(os.environ.get(ENV_INDEX) or REPO / ".studio_index",
                          encoder=encoder_setting())  # $RAG_AGENT_ENCODER, else the index's
    if index.stats().documents == 0:
        index.add_paths([p for p in (REPO / "README.md", REPO / "docs") if p.exists()])
    return index


def chat_model_from_env() -> Any:
    """`ChatOpenAI` when $RAG_AGENT_LLM_BASE_URL or $RAG_AGENT_LLM_MODEL is set, else None."""
    if os.environ.get("RAG_AGENT_LLM_BASE_URL") or os.environ.get("RAG_AGENT_LLM_MODEL"):
        from rag_agent.agent.llm import make_chat_model

        return make_chat_model()
    return None
