"""Document-level reads of `RagIndex`: titles, metadata, catalogue, stats and documents read
back by source id (the unit-level searches are in `reader.py`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from rag_agent.index import db
from rag_agent.index.catalogue import Catalogue, build_catalogue
from rag_agent.index.filters import Filter, compile_filter
from rag_agent.index.records import IndexStats, caller_metadata
from rag_agent.models import encoder_name
from rag_agent.settings import DEFAULT_TENANT

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["DocumentReader"]


class DocumentReader:
    """What one index answers about whole documents; `RagIndex` forwards its methods here.
    It owns the catalogue cache (one per tenant, rebuilt when the generation moves)."""

    def __init__(self, index: RagIndex) -> None:
        self.index = index
        self.catalogues: dict[str, Catalogue] = {}

    def titles(self, *, tenant: str = DEFAULT_TENANT) -> list[str]:
        """Distinct titles of the tenant's documents."""
        with self.index.lock:
            return [t for (t,) in self.index.conn.execute(
                "SELECT DISTINCT title FROM documents WHERE tenant = ? ORDER BY title", (tenant,))]

    def document_meta(self, doc_id: str, *, tenant: str = DEFAULT_TENANT) -> dict[str, Any]:
        """What a passage of the document carries for citations: its metadata with source id,
        title and tenant ({} for a document the tenant does not hold)."""
        with self.index.lock:
            row = self.index.conn.execute(
                "SELECT source_id, title, tenant, metadata FROM documents WHERE doc_id = ? AND "
                "tenant = ?", (doc_id, tenant)).fetchone()
        if row is None:
            return {}
        return {**json.loads(row[3]), "source_id": row[0], "title": row[1], "tenant": row[2]}

    def doc_ids(self, source_ids: Sequence[str], *,
                tenant: str = DEFAULT_TENANT) -> dict[str, str]:
        """{source id: doc id} of the tenant's documents with these source ids (others left
        out)."""
        ids = list(dict.fromkeys(source_ids))
        if not ids:
            return {}
        with self.index.lock:
            rows = self.index.conn.execute(
                "SELECT source_id, doc_id FROM documents WHERE tenant = ? AND source_id IN "
                f"({','.join('?' * len(ids))})", [tenant, *ids]).fetchall()
        return dict(rows)

    def source_documents(self, source_ids: Sequence[str], *,
                         tenant: str = DEFAULT_TENANT) -> list[Document]:
        """The tenant's documents with these source ids, as ingested: their parents joined
        by blank lines (whitespace inside a parent folded), the caller's metadata, the title in
        `metadata["title"]` (unless it defaulted to the source id) and `id` = source id; ids
        the tenant does not hold are left out."""
        ids = list(dict.fromkeys(source_ids))
        if not ids:
            return []
        with self.index.lock:
            rows = self.index.conn.execute(
                "SELECT doc_id, source_id, title, metadata, n_parents FROM documents WHERE "
                f"tenant = ? AND source_id IN ({','.join('?' * len(ids))})", [tenant, *ids]
            ).fetchall()
        found = {}
        store = self.index.docstore_for(tenant)
        for doc_id, source_id, title, meta, n_parents in rows:
            parents = store.mget([f"{doc_id}:p{i}" for i in range(n_parents)])
            text = "\n\n".join(p.page_content for p in parents if p is not None)
            stored = {**json.loads(meta), "source_id": source_id, "title": title}
            found[source_id] = Document(page_content=text, id=source_id,
                                        metadata=caller_metadata(stored))
        return [found[i] for i in ids if i in found]

    def documents_metadata(self, flt: Filter | None = None, *,
                           tenant: str = DEFAULT_TENANT) -> list[dict[str, Any]]:
        """Metadata of the tenant's documents matching `flt` (one dict per document)."""
        where, params = compile_filter(flt, dialect=db.dialect(self.index.conn))
        with self.index.lock:
            rows = self.index.conn.execute(f"SELECT d.metadata FROM documents d WHERE d.tenant = ? "
                                     f"AND {where} ORDER BY d.doc_id", [tenant, *params])
            return [json.loads(r[0]) for r in rows]

    def count_documents(self, flt: Filter | None = None, *, tenant: str = DEFAULT_TENANT) -> int:
        """How many of the tenant's documents match `flt`."""
        where, params = compile_filter(flt, dialect=db.dialect(self.index.conn))
        with self.index.lock:
            return self.index.conn.execute(f"SELECT count(*) FROM documents d WHERE d.tenant = ? "
                                     f"AND {where}", [tenant, *params]).fetchone()[0]

    def catalogue(self, *, tenant: str = DEFAULT_TENANT) -> Catalogue:
        """The tenant's metadata catalogue as of now (rebuilt only when the index changed)."""
        with self.index.lock:
            generation = db.get_meta(self.index.conn, "generation", 0)
            cached = self.catalogues.get(tenant)
            if cached is None or cached.generation != generation:
                cached = build_catalogue(self.documents_metadata(tenant=tenant), tenant,
                                         generation)
                self.catalogues[tenant] = cached
            return cached

    def stats(self) -> IndexStats:
        """Counts and disk size."""
        index, conn = self.index, self.index.conn
        with index.lock:
            kinds = dict(conn.execute("SELECT kind, count(*) FROM units GROUP BY kind"))
            n_docs, n_parents = conn.execute(
                "SELECT count(*), CAST(coalesce(sum(n_parents), 0) AS BIGINT) FROM documents"
            ).fetchone()
            tenants = dict(conn.execute("SELECT tenant, count(*) FROM documents GROUP BY 1"))
            generation = db.get_meta(conn, "generation", 0)
            adapter = db.get_meta(conn, "adapter")
            model = db.get_meta(conn, "model")
        disk = db.size_bytes(conn, index.path)
        return IndexStats(index.location, index.embedder.model_id, index.dim, n_docs, n_parents,
                          kinds.get("child", 0), kinds.get("sentence", 0),
                          kinds.get("summary", 0), tenants, disk, generation,
                          index.config.sentence_context, encoder_name(index.embedder), adapter,
                          model)
