"""`RagIndex`: a multi-representation index of documents, in a folder or in PostgreSQL.

    index = RagIndex.open("./my_index")             # or "postgresql://user@host/db"
    report = index.add_paths(["./docs"])            # idempotent: unchanged files cost nothing
    hits = index.search("query", kind="child", k=5, filter={"year": {"$gte": 2022}})

A folder holds `index.sqlite` (documents, parents, units with their vectors, meta) and one FAISS
file per collection, named by the generation it holds (`summary-12.faiss`, `child-12.faiss`,
`sentence-12.faiss`), plus `vectors.json` pointing at them; a database holds the same tables
with pgvector's vectors (`index.pg`).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag_agent.errors import ConfigError, ReadOnlyIndexError
from rag_agent.index import db
from rag_agent.index.adapter import QueryAdapter, installed
from rag_agent.index.docstore import SQLiteStringStore, TenantDocStore
from rag_agent.index.documents import DocumentReader
from rag_agent.index.ingesting import Ingesting
from rag_agent.index.model_ops import ModelOps
from rag_agent.index.model_switch import follow_switch
from rag_agent.index.opening import open_folder
from rag_agent.index.pg.connection import is_server_url
from rag_agent.index.reader import IndexReader
from rag_agent.index.sentences import SentenceReader
from rag_agent.index.vector_cache import VectorCache
from rag_agent.index.vectors import VectorCollection
from rag_agent.models import Embedder
from rag_agent.settings import DEFAULT_TENANT, IndexConfig

__all__ = ["RagIndex"]



def _forward(owner: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """`RagIndex.<name>` as the method of the reader that owns it (same signature and doc)."""
    name = method.__name__

    @functools.wraps(method)
    def call(self: RagIndex, *args: Any, **kwargs: Any) -> Any:
        return getattr(getattr(self, owner), name)(*args, **kwargs)

    return call


class RagIndex:
    """Summaries, children and sentences with their vectors, documents and parents, per tenant:
    in a folder (FAISS + SQLite) or in PostgreSQL. The facade of the index: it owns the
    connection, the vector search, the model and the settings; reads are forwarded to the three
    readers composed over it (units, sentences, documents), writes to `index.ingesting`
    (over `index.writer` and `index.rows`)."""

    # ----- reads, forwarded to their owners -------------------------------------------------
    search = _forward("_units", IndexReader.search)
    keyword_search = _forward("_units", IndexReader.keyword_search)
    rarest_word_share = _forward("_units", IndexReader.rarest_word_share)
    embed_query = _forward("_units", IndexReader.embed_query)
    embed_texts = _forward("_units", IndexReader.embed_texts)
    forget_queries = _forward("_units", IndexReader.forget_queries)
    centroid = _forward("_units", IndexReader.centroid)
    unit_vectors = _forward("_units", IndexReader.unit_vectors)
    embedded_texts = _forward("_units", IndexReader.embedded_texts)
    units = _forward("_units", IndexReader.units)
    sentences = _forward("_sentences", SentenceReader.sentences)
    sentence_rows = _forward("_sentences", SentenceReader.sentence_rows)
    sentence_scores = _forward("_sentences", SentenceReader.sentence_scores)
    sentence_child_scores = _forward("_sentences", SentenceReader.sentence_child_scores)
    sentence_lengths = _forward("_sentences", SentenceReader.sentence_lengths)
    child_vectors = _forward("_sentences", SentenceReader.child_vectors)
    child_texts = _forward("_sentences", SentenceReader.child_texts)
    titles = _forward("_documents", DocumentReader.titles)
    document_meta = _forward("_documents", DocumentReader.document_meta)
    doc_ids = _forward("_documents", DocumentReader.doc_ids)
    source_documents = _forward("_documents", DocumentReader.source_documents)
    documents_metadata = _forward("_documents", DocumentReader.documents_metadata)
    count_documents = _forward("_documents", DocumentReader.count_documents)
    catalogue = _forward("_documents", DocumentReader.catalogue)
    stats = _forward("_documents", DocumentReader.stats)

    # ----- writing, forwarded to its owner -----------------------------------------------------
    add_paths = _forward("_ingesting", Ingesting.add_paths)
    add_documents = _forward("_ingesting", Ingesting.add_documents)
    delete_source = _forward("_ingesting", Ingesting.delete_source)

    # ----- the model: migration, query adapter, switch, forwarded to their owner -------------
    migrate = _forward("_models", ModelOps.migrate)
    install_adapter = _forward("_models", ModelOps.install_adapter)
    remove_adapter = _forward("_models", ModelOps.remove_adapter)
    switch_model = _forward("_models", ModelOps.switch_model)

    def __init__(self, path: Path | None, conn: Any, embedder: Embedder, config: IndexConfig,
                 dim: int, summarizer: Any = None, encoder: str | None = None,
                 follow: bool = False, read_only: bool = False, *,
                 location: str | None = None,
                 vectors: Callable[[threading.RLock], Any] | None = None) -> None:
        self.path = path
        """The index folder (None for an index in a PostgreSQL database)."""
        self.location = location or str(path)
        """Where the index lives, for messages: its folder, or its URL without a password."""
        self.read_only = read_only
        """True if opened read-only: nothing is written, not even the FAISS files (a stale
        collection is rebuilt in memory), and every write raises `ReadOnlyIndexError`."""
        self.conn = conn
        self.embedder = embedder
        self.config = config
        self.dim = dim
        self.summarizer = summarizer
        self.encoder = encoder
        """The encoder name asked for when opening (None: the one the index records, else
        torch)."""
        self.follow = follow
        """True if the index chose its model (no embedder passed): a switch by another process
        is followed; else it is refused."""
        self.lock = threading.RLock()
        self.docstore = TenantDocStore(conn, DEFAULT_TENANT, self.lock)
        """The default tenant's parents (`docstore_for` gives another tenant's)."""
        self.cache = SQLiteStringStore(conn, "cache", self.lock)
        self._closed = False
        self._units = IndexReader(self)
        self._sentences = SentenceReader(self)
        self._documents = DocumentReader(self)
        self._models = ModelOps(self)
        self._ingesting = Ingesting(self)
        self.adapter: QueryAdapter | None = None
        """The installed `QueryAdapter` applied to query vectors (None: none installed)."""
        try:
            if path is not None:
                self.adapter = installed(conn, path, embedder.model_id)
            self.vectors = (vectors(self.lock) if vectors is not None else
                            VectorCache(path, conn, self.lock, dim, read_only=read_only))
            """The vector search: FAISS collections kept at SQLite's generation (embedded), or
            pgvector's in the database (`pg.search.PgVectors`)."""
        except BaseException:
            conn.close()
            raise
        self.dim = self.vectors.dim

    @property
    def collections(self) -> dict[str, VectorCollection]:
        """The FAISS collections (summary, child, sentence) as of the last catch-up."""
        return self.vectors.collections

    @property
    def rebuilt(self) -> list[str]:
        """Kinds whose FAISS files were stale or damaged at the last load (rebuilt from SQLite)."""
        return self.vectors.rebuilt

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        embedder: Any = None,
        config: IndexConfig | None = None,
        summarizer: Any = None,
        create: bool = True,
        encoder: str | None = None,
        read_only: bool | None = None,
        vector_search: str = "exact",
    ) -> RagIndex:
        """Open the index in `path` (a folder, or a "postgresql://" URL), creating it unless
        `create` is False.

        Args:
            embedder: None for the index's own model (the packaged all-MiniLM-L6-v2, or the
                model a fine-tune switched it to), a local model path, or any LangChain
                `Embeddings`. An existing index must be opened with its own model.
            config: how to cut documents; fixed when the index is created.
            summarizer: an `LLMSummarizer` for document summaries (default: extractive).
            encoder: with `embedder=None`, what runs the index's model: "torch", "onnx" or
                "onnx-int8" (`rag_agent.models.named_encoder`); default: the one the index
                records for a switched model, else torch.
            read_only: open for reading only (serving replicas): nothing is written. Default:
                read-only exactly when this process cannot write the folder or its database.
            vector_search: "exact" (default: every unit in the filter's scope scored), or
                "hnsw" on a PostgreSQL index (pgvector's approximate index, made if missing;
                still k results whenever k units match). A folder index searches exactly.

        Raises:
            IndexCorruptError: the database file is garbled, truncated or not an index.
        """
        if is_server_url(path):
            from rag_agent.index.pg.opening import open_server

            return open_server(cls, str(path), embedder=embedder, config=config,
                               summarizer=summarizer, create=create, encoder=encoder,
                               read_only=bool(read_only), vector_search=vector_search)
        if vector_search != "exact":
            raise ConfigError(f"vector_search={vector_search!r}: an index in a folder searches "
                              "exactly (FAISS); HNSW is for an index in PostgreSQL")
        return open_folder(cls, Path(path), embedder=embedder, config=config,
                           summarizer=summarizer, create=create, encoder=encoder,
                           read_only=read_only)

    def docstore_for(self, tenant: str) -> TenantDocStore:
        """The parents of `tenant`'s documents as a read-only LangChain `BaseStore` (an id of
        another tenant's parent reads as None)."""
        if tenant == DEFAULT_TENANT:
            return self.docstore
        return TenantDocStore(self.conn, tenant, self.lock)

    def ensure_folder(self, what: str) -> None:
        """Raise `ConfigError` if this index is not in a folder (`what` needs one)."""
        if self.path is None:
            raise ConfigError(f"{what}: not available for an index in PostgreSQL "
                              f"({self.location}) yet; it needs an index folder")

    def ensure_writable(self) -> None:
        """Raise `ReadOnlyIndexError` if this index is open read-only."""
        if self.read_only:
            raise ReadOnlyIndexError(f"index {self.location!r} is open read-only; write to it "
                                     "from a process that opens it with read_only=False (and "
                                     "can write its folder)")

    def adopt_model(self, embedder: Embedder) -> None:
        """Use `embedder` from now on (called by a committed switch, under the lock): vectors
        reloaded, queries and adapter forgotten."""
        with self.lock:
            self.embedder = embedder
            self._units.forget_queries()
            self.adapter = installed(self.conn, self.path, embedder.model_id)
            self.vectors.load()
            self.dim = self.vectors.dim

    def adopt_split(self, split: dict[str, Any]) -> None:
        """Use the split settings a committed migration stored (called by the migration)."""
        self.config = IndexConfig.from_stored(split, **self.config.batching())

    def snapshot(self, folder: str | os.PathLike[str]) -> Path:
        """Copy the index's committed state into a new folder, as an index of its own (its
        FAISS files are rebuilt from the copy on first open, with no embedding)."""
        self.ensure_folder("snapshot (use pg_dump for a database)")
        with self.lock:
            return db.snapshot(self.conn, Path(folder))

    def save(self) -> None:
        """Write the FAISS files if they are behind SQLite (atomic; safe to call any time)."""
        with self.lock:
            if self.vectors.save():
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # fold the WAL back in

    def _sync(self) -> None:
        """Catch up with writes another process committed since our collections were built."""
        if self.vectors.stale() and not follow_switch(self):  # a switch reloads everything
            self.vectors.load()
            self.dim = self.vectors.dim

    def refresh(self) -> None:
        """Catch up with what other processes committed (and follow a model switch); reads
        and writes do this themselves."""
        with self.lock:
            self._sync()

    def close(self) -> None:
        """Save what is unsaved and close the database (a second call does nothing)."""
        if self._closed:
            return
        self.save()
        self.conn.close()
        self._closed = True

    def __enter__(self) -> RagIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

