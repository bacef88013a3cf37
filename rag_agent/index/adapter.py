"""The query adapter applied to query vectors: a residual linear map, stored as safetensors.

`q' = normalize(q + q W + b)`; W = 0, b = 0 is the identity. The file holds the two arrays and a
JSON header naming the embedding model the adapter was trained for (never pickle); loading it
for another model is an error. Training lives in `rag_agent.finetune.adapter`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag_agent.errors import ConfigError
from rag_agent.index import db

__all__ = ["ADAPTER_FILE", "QueryAdapter", "install", "installed", "uninstall"]

ADAPTER_FILE = "query-adapter-{n}.safetensors"
"""Files of the query adapter in an index folder; the one in use is named in the meta table,
so a new one is written beside the old and switched to in one commit."""


@dataclass
class QueryAdapter:
    """`apply(rows)`: query rows (n, dim) mapped and re-normalized."""

    weight: np.ndarray
    bias: np.ndarray
    model_id: str
    info: dict[str, Any] = field(default_factory=dict)
    """How it was trained (pairs, epochs, seconds, loss): shown by `rag-agent stats`."""

    def __post_init__(self) -> None:
        self.weight = np.ascontiguousarray(self.weight, dtype=np.float32)
        self.bias = np.ascontiguousarray(self.bias, dtype=np.float32).reshape(-1)
        dim = self.bias.shape[0]
        if self.weight.shape != (dim, dim):
            raise ConfigError(f"adapter weight has shape {self.weight.shape}, bias {dim}: "
                              "they must be (dim, dim) and (dim,)")
        if not (np.isfinite(self.weight).all() and np.isfinite(self.bias).all()):
            raise ConfigError("adapter holds NaN or infinite values; train it again")

    @property
    def dim(self) -> int:
        return int(self.bias.shape[0])

    def apply(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.float32).reshape(-1, self.dim)
        out = rows + rows @ self.weight + self.bias
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.ascontiguousarray(out / norms, dtype=np.float32)

    def save(self, path: str | Path) -> None:
        """Write to `path` atomically (a temporary file renamed over it)."""
        from safetensors.numpy import save_file

        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        save_file({"weight": self.weight, "bias": self.bias}, str(tmp),
                  metadata={"model_id": self.model_id, "info": json.dumps(self.info)})
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path, *, model_id: str | None = None) -> QueryAdapter:
        """Read a saved adapter; with `model_id`, refuse one trained for another model."""
        from safetensors import safe_open

        path = Path(path)
        try:
            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
                weight, bias = f.get_tensor("weight"), f.get_tensor("bias")
        except FileNotFoundError:
            raise ConfigError(f"adapter file {str(path)!r} is missing; train it again with "
                              "'rag-agent finetune --adapter' or remove it") from None
        except Exception as exc:  # a truncated or garbled file
            raise ConfigError(f"adapter file {str(path)!r} cannot be read ({exc}); train it "
                              "again with 'rag-agent finetune --adapter'") from None
        trained_for = meta.get("model_id", "")
        if model_id is not None and trained_for != model_id:
            raise ConfigError(f"adapter {str(path)!r} was trained for embedding model "
                              f"{trained_for!r}, not {model_id!r}; train it again")
        return cls(weight, bias, trained_for, json.loads(meta.get("info") or "{}"))


def installed(conn: Any, folder: Path, model_id: str) -> QueryAdapter | None:
    """The adapter the index's meta table names (None if none), refused for another model."""
    info = db.get_meta(conn, "adapter")
    return None if info is None else QueryAdapter.load(folder / info["file"], model_id=model_id)


def install(conn: Any, folder: Path, adapter: QueryAdapter) -> None:
    """Write `adapter` as the next version beside the old file, name it in one commit, then
    remove the old file: a crash before the commit leaves the old one (or none) in use."""
    old = db.get_meta(conn, "adapter")
    n = 1 + (old or {}).get("version", 0)
    name = ADAPTER_FILE.format(n=n)
    adapter.save(folder / name)
    with db.write(conn):
        db.set_meta(conn, "adapter", {"file": name, "version": n, **adapter.info})
    if old is not None and old.get("file") != name:
        (folder / old["file"]).unlink(missing_ok=True)


def uninstall(conn: Any, folder: Path) -> bool:
    """Forget the installed adapter and delete its file; False if none was installed."""
    old = db.get_meta(conn, "adapter")
    if old is None:
        return False
    with db.write(conn):
        db.delete_meta(conn, "adapter")
    (folder / old["file"]).unlink(missing_ok=True)
    return True
