"""The model-level operations of an index: the sentence migration, the query adapter, and the
switch to another embedding model. `RagIndex` forwards them here; the model, adapter and
connection they change are the index's."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from rag_agent.errors import ConfigError
from rag_agent.index.adapter import QueryAdapter, install, uninstall
from rag_agent.index.model_switch import switch_model
from rag_agent.models import Embedder

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["ModelOps"]


class ModelOps:
    """What changes how an index embeds: composed into `RagIndex`."""

    def __init__(self, index: RagIndex) -> None:
        self.index = index

    def migrate(self, *, progress: bool = False) -> Any:
        """Re-embed bare sentences of an older index under their document title (contextual
        embeddings), atomically; see `rag_agent.index.migrate`. Returns a `MigrationReport`."""
        from rag_agent.index.migrate import migrate_sentence_context

        self.index.ensure_writable()
        self.index.ensure_folder("migrating sentence vectors")
        return migrate_sentence_context(self.index, progress=progress)

    def install_adapter(self, adapter: QueryAdapter) -> None:
        """Make `adapter` (a `QueryAdapter` for this index's model) map every query vector
        from now on, in this process and in every process that opens the index later; a crash
        mid-way leaves the old adapter (or none) in use (`index.adapter.install`)."""
        index = self.index
        index.ensure_writable()
        index.ensure_folder("a query adapter")
        if adapter.model_id != index.embedder.model_id or adapter.dim != index.dim:
            raise ConfigError(f"adapter was trained for {adapter.model_id!r} ({adapter.dim} "
                              f"dims); this index uses {index.embedder.model_id!r} ({index.dim})")
        with index.lock:
            install(index.conn, index.path, adapter)
            index.adapter = adapter

    def remove_adapter(self) -> bool:
        """Stop mapping query vectors (the file is deleted); False if none was installed."""
        index = self.index
        index.ensure_writable()
        if index.path is None:
            return False
        with index.lock:
            removed = uninstall(index.conn, index.path)
            index.adapter = None
            return removed

    def switch_model(self, model: str | os.PathLike[str] | Embedder, *,
                     encoder: str | None = None, record: dict | None = None,
                     progress: bool = False) -> Any:
        """Re-embed every unit with `model` (a local sentence-transformers folder, run by
        `encoder`, default this index's; or an `Embedder`) and make it the index's model in one
        commit; a process killed before it leaves the old model in use, and running the switch
        again resumes it. See `rag_agent.index.model_switch`; returns a `SwitchReport`."""
        self.index.ensure_writable()
        self.index.ensure_folder("switching the embedding model")
        return switch_model(self.index, model, encoder=encoder, record=record, progress=progress)
