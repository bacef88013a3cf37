"""Choosing an encoder by name: torch by default, ONNX on request, a clear error otherwise."""

from __future__ import annotations

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from rag_agent.errors import ConfigError
from rag_agent.models import (
    LangChainEmbedder,
    SentenceTransformerEmbedder,
    encoder_name,
    make_embedder,
    named_encoder,
)


def test_named_encoder_defaults_to_torch_and_reads_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAG_AGENT_ENCODER", raising=False)
    assert isinstance(named_encoder(), SentenceTransformerEmbedder)  # nothing loaded yet
    monkeypatch.setenv("RAG_AGENT_ENCODER", "onnx-int8")
    onnx = named_encoder()
    assert onnx.model_id == "all-MiniLM-L6-v2+onnx-int8" and encoder_name(onnx) == "onnx-int8"
    assert named_encoder("onnx").model_id == "all-MiniLM-L6-v2"  # fp32: the torch vectors
    with pytest.raises(ConfigError, match="unknown encoder 'tpu'; use one of torch, onnx"):
        named_encoder("tpu")


def test_make_embedder_keeps_our_encoders_and_wraps_langchain_ones() -> None:
    onnx = named_encoder("onnx")
    assert make_embedder(onnx) is onnx
    wrapped = make_embedder(DeterministicFakeEmbedding(size=8))
    assert isinstance(wrapped, LangChainEmbedder)
    assert encoder_name(wrapped) == "DeterministicFakeEmbedding"
    assert encoder_name(SentenceTransformerEmbedder()) == "torch"
