"""Choosing an encoder by name: torch by default, ONNX on request, a clear error otherwise."""

from __future__ import annotations

import numpy as np
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


# ----- texts reach every model clean: a lone surrogate is U+FFFD, not a TypeError -----------
BAD_TEXTS = ["a \ud800 b.", "invalid UTF-8 argument \udcff here", "nul\x00 and bell\x07"]


@pytest.fixture(scope="module")
def tokenizer() -> object:
    """The packaged model's real (fast) tokenizer, which raises TypeError on lone surrogates."""
    from transformers import AutoTokenizer

    from rag_agent.models import default_model_path

    return AutoTokenizer.from_pretrained(str(default_model_path()), local_files_only=True)


class TokenizingModel:
    """Stands in for a SentenceTransformer: tokenizes like it, returns zero rows."""

    max_seq_length = 256

    def __init__(self, tokenizer: object) -> None:
        self.tokenizer = tokenizer
        self.seen: list[str] = []

    def get_sentence_embedding_dimension(self) -> int:
        return 4

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        self.tokenizer(texts, padding=True)
        self.seen += texts
        return np.ones((len(texts), 4), dtype=np.float32) / 2


def test_torch_embedder_takes_lone_surrogates(tokenizer: object) -> None:
    emb = SentenceTransformerEmbedder()
    emb._model = model = TokenizingModel(tokenizer)
    assert emb.encode(BAD_TEXTS).shape == (3, 4)
    assert model.seen == ["a \ufffd b.", "invalid UTF-8 argument \ufffd here", "nul and bell"]
    assert len(emb.embed_query("q \udcff")) == 4 and len(emb.embed_documents(BAD_TEXTS)) == 3
    assert emb.count_tokens(BAD_TEXTS)[0] == len(tokenizer("a \ufffd b.")["input_ids"])


def test_onnx_embedder_takes_lone_surrogates(tokenizer: object) -> None:
    class Session:
        def run(self, _: object, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
            ids = feed["input_ids"]
            return [np.ones((*ids.shape, emb.dim), dtype=np.float32)]

    emb = named_encoder("onnx")
    emb._tokenizer, emb._session = tokenizer, Session()
    assert emb.encode(BAD_TEXTS).shape == (3, emb.dim)
    assert len(emb.embed_query("q \udcff")) == emb.dim
    assert len(emb.count_tokens(BAD_TEXTS)) == 3


def test_langchain_embedder_and_encode_query_pass_clean_text() -> None:
    from rag_agent.models import encode_query

    class StrictEmbeddings(DeterministicFakeEmbedding):
        """Encodes to UTF-8 first, as any client sending JSON over HTTP does."""

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return super().embed_documents([t.encode("utf-8").decode() for t in texts])

        def embed_query(self, text: str) -> list[float]:
            return super().embed_query(text.encode("utf-8").decode())

    emb = LangChainEmbedder(StrictEmbeddings(size=8))
    assert emb.encode(BAD_TEXTS).shape == (3, 8)
    assert encode_query(emb, "q \udcff").shape == (1, 8)

    class Bare:  # an Embedder of the caller's, with no encode_query
        model_id, max_tokens, dim = "bare", 8, 8

        def encode(self, texts: list[str]) -> np.ndarray:
            assert all(t.encode("utf-8") for t in texts)
            return np.ones((len(texts), 8), dtype=np.float32)

    assert encode_query(Bare(), "q \udcff").shape == (1, 8)
