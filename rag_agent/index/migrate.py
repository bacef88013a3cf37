"""Re-embed an index's sentences under their document title (contextual embeddings).

An index made before contextual embeddings holds bare sentence vectors and keeps working as it
is: its stored config says `sentence_context=False`, so new documents are embedded the same way
and one collection never mixes the two kinds of vector. `migrate_sentence_context` moves it
over: every new vector is computed first (stored ones of identical texts reused), then all of
them replace the old ones and the config flips in ONE transaction. A process killed before the
commit leaves the old vectors and config in use; after it, only new ones exist.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rag_agent.errors import RagAgentError
from rag_agent.index import db
from rag_agent.index.embedded import unit_texts
from rag_agent.index.rows import stored_or_embedded, text_hash, transaction

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["MigrationReport", "migrate_sentence_context"]

log = logging.getLogger(__name__)
_BATCH = 4096
_ATTEMPTS = 3


@dataclass
class MigrationReport:
    """What a migration did."""

    sentences: int = 0
    embedded: int = 0
    reused_vectors: int = 0
    seconds: float = 0.0
    already: bool = False

    def lines(self) -> list[str]:
        if self.already:
            return ["sentences are already embedded with their document title; nothing to do"]
        return [f"re-embedded {self.sentences} sentences under their document title "
                f"({self.embedded} texts embedded, {self.reused_vectors} stored vectors reused) "
                f"in {self.seconds:.1f} s"]


def _plan(index: RagIndex) -> tuple[int, list[int], list[str]]:
    """(generation, sentence unit ids, their new embedded texts) as of one snapshot."""
    conn = index.conn
    with index.lock, db.read(conn):
        generation = db.get_meta(conn, "generation", 0)
        units = unit_texts(conn, index.config, index.embedder.count_tokens,
                           kinds=("sentence",), sentence_context=True)
    return generation, [u.unit_id for u in units], [str(u.embedded) for u in units]


def _vectors(index: RagIndex, texts: list[str], report: MigrationReport,
             progress: Any) -> np.ndarray:
    got = stored_or_embedded(index.conn, index.lock, index.embedder, texts, index.dim,
                             batch=_BATCH, progress=progress)
    report.reused_vectors, report.embedded = got.reused, got.embedded
    return got.rows


def migrate_sentence_context(index: RagIndex, *, progress: bool = False) -> MigrationReport:
    """Re-embed every sentence of `index` under its document title and record the new config.

    Raises `RagAgentError` if other writers keep changing the index while it runs.
    """
    report = MigrationReport()
    if index.config.sentence_context:
        report.already = True
        return report
    started = time.perf_counter()
    split = {**index.config.split_key(), "sentence_context": True}
    for _attempt in range(_ATTEMPTS):
        generation, ids, texts = _plan(index)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(set(texts)), unit="text", desc="migrate", dynamic_ncols=True)
        try:
            vectors = _vectors(index, texts, report, bar)
        finally:
            if bar is not None:
                bar.close()

        def body(generation: int = generation, ids: list[int] = ids,
                 vectors: np.ndarray = vectors, texts: list[str] = texts) -> None:
            if db.get_meta(index.conn, "generation", 0) != generation:
                raise _Changed
            index.conn.executemany(
                "UPDATE units SET text_hash = ?, vector = ? WHERE id = ?",
                [(text_hash(t), v.tobytes(), uid)
                 for uid, t, v in zip(ids, texts, vectors, strict=True)])
            db.set_meta(index.conn, "split", split)

        try:
            transaction(index, body, {"sentence": list(zip(ids, vectors, strict=True))},
                        {"sentence": list(ids)})
        except _Changed:
            log.info("index changed while migrating; planning again")
            continue
        index.adopt_split(split)
        index.save()
        report.sentences = len(ids)
        report.seconds = time.perf_counter() - started
        return report
    raise RagAgentError(f"index {str(index.path)!r} kept changing during the migration; run it "
                        "again when no ingest is writing to it")


class _Changed(Exception):
    """Another writer committed between planning and the migration's transaction."""
