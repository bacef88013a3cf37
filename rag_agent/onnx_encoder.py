"""A faster encoder: the packaged model (or any local BERT-style sentence-transformers folder
with mean pooling) run by ONNX Runtime, exported here from its own weights.

Nothing is downloaded: the first use exports the folder's transformer with `torch.onnx.export`
to a cache (`$RAG_AGENT_CACHE`, default `~/.cache/rag_agent/onnx/`), written under a temporary
name and renamed, so a killed export never leaves a half file. The export is keyed by the
weights' size and hash of their first and last MiB, so a changed model is exported again.

The vectors contract is the torch encoder's: mean pooling over the attention mask, then L2
normalization, float32 rows. `precision="fp32"` gives the torch vectors (cosine > 0.9999 on
every text measured) and keeps the torch `model_id`, so an index built with either is searched
with either. Other precisions move the vectors, so they carry their own `model_id` and an
index refuses to mix them (`IndexMismatchError`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag_agent.errors import ConfigError, MissingExtraError
from rag_agent.models import clean_texts, default_model_path, model_id_of

__all__ = ["PRECISIONS", "OnnxEmbedder", "export_onnx"]

PRECISIONS = ("fp32", "int8")
_MIB = 1 << 20


def _cache_root() -> Path:
    root = os.environ.get("RAG_AGENT_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "rag_agent"


def _weights_key(model_path: Path) -> str:
    weights = model_path / "model.safetensors"
    if not weights.exists():
        weights = model_path / "pytorch_model.bin"
    if not weights.exists():
        raise ConfigError(f"no model.safetensors or pytorch_model.bin in {str(model_path)!r}")
    size = weights.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with weights.open("rb") as f:
        digest.update(f.read(_MIB))
        f.seek(max(0, size - _MIB))
        digest.update(f.read(_MIB))
    return digest.hexdigest()[:16]


def _check_pooling(model_path: Path) -> None:
    """Only mean pooling is exported; anything else would silently change the vectors."""
    config = model_path / "1_Pooling" / "config.json"
    if not config.exists():
        raise ConfigError(f"{str(model_path)!r} has no 1_Pooling/config.json: the ONNX encoder "
                          "needs a sentence-transformers folder with mean pooling")
    modes = json.loads(config.read_text())
    if "pooling_mode" in modes:  # sentence-transformers 6 writes {"pooling_mode": "mean"}
        mean = modes["pooling_mode"] == "mean"
    else:
        mean = bool(modes.get("pooling_mode_mean_tokens")) and not any(
            v for k, v in modes.items() if k.startswith("pooling_mode_")
            and k != "pooling_mode_mean_tokens")
    if not mean:
        raise ConfigError(f"{str(model_path)!r} does not use mean pooling alone; use the torch "
                          "encoder for it")


def export_onnx(model_path: Path, folder: Path) -> Path:
    """`folder/model-fp32.onnx`, exported from the transformer in `model_path` if missing."""
    target = folder / "model-fp32.onnx"
    if target.exists():
        return target
    import torch
    from transformers import AutoModel

    folder.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()

    class _Hidden(torch.nn.Module):  # the transformer alone; pooling stays in numpy
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.int64)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it keeps dynamic
        torch.onnx.export(_Hidden(), (sample, sample, torch.zeros_like(sample)), str(tmp),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"], opset_version=17,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                        "token_type_ids": axes, "last_hidden_state": axes},
                          dynamo=False)
    os.replace(tmp, target)
    return target


def _quantized(fp32: Path, precision: str) -> Path:
    target = fp32.with_name(f"model-{precision}.onnx")
    if target.exists():
        return target
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target.with_suffix(f".tmp{os.getpid()}")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing nudge on the root
    try:
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])
    finally:
        root.setLevel(level)
    os.replace(tmp, target)
    return target


class OnnxEmbedder(Embeddings):
    """The packaged all-MiniLM-L6-v2 (or `model_path`) on ONNX Runtime; an `Embedder` and a
    LangChain `Embeddings`, loaded on first use."""

    def __init__(self, model_path: str | Path | None = None, *, precision: str = "fp32",
                 batch_size: int = 32, threads: int | None = None,
                 cache_dir: str | Path | None = None) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(f"ONNX precision {precision!r}: use one of {', '.join(PRECISIONS)}")
        path = Path(model_path) if model_path is not None else default_model_path()
        if not path.exists():
            raise ConfigError(f"embedding model path {str(path)!r} does not exist")
        self.path = path
        self.precision = precision
        self.batch_size = batch_size
        self.threads = threads
        base = model_id_of(path)
        self.model_id = base if precision == "fp32" else f"{base}+onnx-{precision}"
        self.encoder = f"onnx-{precision}"
        self.max_tokens = int(json.loads((path / "sentence_bert_config.json").read_text())
                              .get("max_seq_length", 256)) \
            if (path / "sentence_bert_config.json").exists() else 256
        self._dim = int(json.loads((path / "config.json").read_text())["hidden_size"])
        self._cache = Path(cache_dir) if cache_dir else _cache_root() / "onnx"
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime as ort
            except ImportError as exc:
                raise MissingExtraError("the ONNX encoder", "onnx") from exc
            from transformers import AutoTokenizer

            _check_pooling(self.path)
            folder = self._cache / f"{self.path.name}-{_weights_key(self.path)}"
            model_file = export_onnx(self.path, folder)
            if self.precision != "fp32":
                model_file = _quantized(model_file, self.precision)
            options = ort.SessionOptions()
            if self.threads:
                options.intra_op_num_threads = self.threads
            self._tokenizer = AutoTokenizer.from_pretrained(str(self.path),
                                                            local_files_only=True)
            self._session = ort.InferenceSession(str(model_file), options,
                                                 providers=["CPUExecutionProvider"])

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalized float32 rows; texts are batched in length order (less padding)."""
        if self._session is None:
            self._load()
        texts = clean_texts(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        rows: dict[int, np.ndarray] = {}
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            enc = self._tokenizer([texts[i] for i in batch], padding=True, truncation=True,
                                  max_length=self.max_tokens, return_tensors="np")
            feed = {"input_ids": enc["input_ids"].astype(np.int64),
                    "attention_mask": enc["attention_mask"].astype(np.int64),
                    "token_type_ids": enc.get("token_type_ids",
                                              np.zeros_like(enc["input_ids"])).astype(np.int64)}
            hidden = self._session.run(None, feed)[0]
            mask = feed["attention_mask"][:, :, None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            rows.update(zip(batch, pooled.astype(np.float32), strict=True))
        return np.ascontiguousarray(np.stack([rows[i] for i in range(len(texts))]))

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word-piece counts including the two special tokens the model adds."""
        if not texts:
            return []
        if self._session is None:
            self._load()
        enc = self._tokenizer(clean_texts(texts), add_special_tokens=True, truncation=False)
        return [len(ids) for ids in enc["input_ids"]]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()
