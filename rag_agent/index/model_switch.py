"""Switching an index to another embedding model: every unit re-embedded from its stored text,
then one commit.

`switch_model(index, embedder, record)`:
1. plans the units as of one snapshot (`index.embedded.unit_texts`: what ingestion embedded);
2. embeds every distinct text the new model has not embedded yet, in batches, each committed to
   the `staged_vectors` table under the new model's id, so a killed run that is started again
   resumes where it stopped and never embeds a text twice;
3. in ONE write transaction: checks that no writer changed the index since the plan (else it
   plans again, and only the new texts are embedded), writes every unit's new vector (an
   extractive summary's is the mean of its document's new child vectors), records the model's id,
   dimension and record, forgets the query adapter (it maps the old model's vectors) and drops the
   staged rows.

A process killed before that commit leaves the old model, its vectors and its adapter in use;
after it, only the new ones exist. A process that opened the index without naming a model
follows the switch on its next read; one that named the old model is refused with
`IndexMismatchError`, and so is its next write (`rows.transaction` checks the model).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag_agent.errors import ConfigError, IndexMismatchError, RagAgentError
from rag_agent.index import db
from rag_agent.index.embedded import UnitText, unit_texts
from rag_agent.index.opening import card_record, open_embedder
from rag_agent.index.rows import text_hash, transaction
from rag_agent.models import (
    ENCODERS,
    Embedder,
    encoder_name,
    make_embedder,
    named_encoder,
)

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["SwitchReport", "follow_switch", "switch_model"]

log = logging.getLogger(__name__)
BATCH = 512
"""Texts embedded and staged per commit: what a kill can cost."""
_ATTEMPTS = 3


@dataclass
class SwitchReport:
    """What a model switch did."""

    model_id: str
    previous: str
    units: int = 0
    texts: int = 0
    embedded: int = 0
    resumed: int = 0
    """Texts an earlier, interrupted run of the same switch had already staged."""
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [f"re-embedded {self.units} units ({self.texts} distinct texts: {self.embedded} "
                f"embedded now" + (f", {self.resumed} staged by an interrupted run"
                                   if self.resumed else "")
                + f") with {self.model_id} in {self.seconds:.1f} s; it replaced "
                f"{self.previous} in one commit"]


def _chunks(items: Sequence[Any], size: int = 500) -> Any:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _staged(conn: Any, model_id: str, hashes: Sequence[bytes], *,
            vectors: bool = False) -> dict[bytes, Any]:
    out: dict[bytes, Any] = {}
    column = "vector" if vectors else "1"
    for chunk in _chunks(list(hashes)):
        rows = conn.execute(
            f"SELECT text_hash, {column} FROM staged_vectors WHERE model_id = ? AND text_hash "
            f"IN ({','.join('?' * len(chunk))})", (model_id, *chunk))
        out.update({h: np.frombuffer(v, dtype=np.float32) if vectors else True
                    for h, v in rows})
    return out


def _plan(index: RagIndex, embedder: Any) -> tuple[int, list[UnitText]]:
    conn = index.conn
    with index.lock, db.read(conn):  # one snapshot for the generation and the units
        generation = db.get_meta(conn, "generation", 0)
        units = unit_texts(conn, index.config, embedder.count_tokens)
    return generation, units


def _stage(index: RagIndex, embedder: Any, units: list[UnitText], report: SwitchReport,
           progress: Any, first: bool) -> dict[bytes, str]:
    """Embed and stage every text not staged yet; returns hash -> text of all of them."""
    wanted = {text_hash(u.embedded): u.embedded for u in units if u.embedded is not None}
    with index.lock:
        staged = _staged(index.conn, embedder.model_id, list(wanted))
    if first:
        report.resumed = len(staged)
        if progress is not None:
            progress.reset(total=len(wanted))
            progress.update(len(staged))
    todo = sorted(((h, t) for h, t in wanted.items() if h not in staged), key=lambda x: len(x[1]))
    for chunk in _chunks(todo, BATCH):
        vecs = np.asarray(embedder.encode([t for _, t in chunk]), dtype=np.float32)
        if vecs.shape[0] != len(chunk) or not np.isfinite(vecs).all():
            raise RagAgentError(f"model {embedder.model_id!r} returned {vecs.shape[0]} rows "
                                f"for {len(chunk)} texts, or non-finite values; the index still "
                                "uses its old model")
        with index.lock, db.write(index.conn):
            index.conn.executemany(
                "INSERT OR REPLACE INTO staged_vectors VALUES (?, ?, ?)",
                [(embedder.model_id, h, v.tobytes()) for (h, _), v in zip(chunk, vecs,
                                                                          strict=True)])
        report.embedded += len(chunk)
        if progress is not None:
            progress.update(len(chunk))
    report.texts = len(wanted)
    return wanted


def _new_rows(conn: Any, model_id: str, units: list[UnitText],
              wanted: dict[bytes, str]) -> tuple[list[tuple], list[tuple]]:
    """(text_hash, vector, id) rows of embedded units and (vector, id) rows of extractive
    summaries, from the staged vectors."""
    vectors = _staged(conn, model_id, list(wanted), vectors=True)
    if len(vectors) != len(wanted):
        raise _Changed  # staged rows vanished (another switch started): plan again
    embedded, children = [], {}
    for u in units:
        if u.embedded is None:
            continue
        h = text_hash(u.embedded)
        embedded.append((h, vectors[h].tobytes(), u.unit_id))
        if u.kind == "child":
            children.setdefault(u.doc_id, []).append(vectors[h])
    summaries = []
    for u in units:
        if u.embedded is None:
            rows = children.get(u.doc_id)
            if not rows:
                raise RagAgentError(f"document {u.doc_id} has a summary but no children; run "
                                    "'rag-agent check' on the index (nothing was switched)")
            centroid = np.mean(rows, axis=0)
            centroid = centroid / (np.linalg.norm(centroid) or 1.0)
            summaries.append((centroid.astype(np.float32).tobytes(), u.unit_id))
    return embedded, summaries


def _resolve(index: RagIndex, model: Any, encoder: str | None,
             record: dict[str, Any] | None) -> tuple[Embedder, dict[str, Any]]:
    """The embedder for `model` (a folder run by `encoder`, default the index's; or an
    `Embedder`) and the record to store for it."""
    if not isinstance(model, (str, os.PathLike)):
        return make_embedder(model), {"path": None, **(record or {})}
    folder = Path(model)
    name = encoder or index.encoder or encoder_name(index.embedder)
    name = name if name in (*ENCODERS, "onnx-fp32") else "torch"
    where = (os.path.relpath(folder, index.path)
             if folder.resolve().is_relative_to(index.path.resolve()) else str(folder.resolve()))
    return named_encoder(name, folder), {"path": where, "encoder": name, **card_record(folder),
                                         **(record or {})}


def switch_model(index: RagIndex, model: Any, *, encoder: str | None = None,
                 record: dict[str, Any] | None = None, progress: bool = False) -> SwitchReport:
    """Re-embed every unit of `index` with `model` (see `_resolve`) and make it the index's
    model in one commit; `record` (version, how it was trained) is stored in the `model` meta
    entry with the model's path and encoder. Afterwards the previous model's folder, if it was
    one inside the index, is deleted. Raises `RagAgentError` if other writers keep changing the
    index while it runs."""
    embedder, record = _resolve(index, model, encoder, record)
    previous = db.get_meta(index.conn, "model") or {}
    report = _switch(index, embedder, {"previous": index.embedder.model_id, **record}, progress)
    old = previous.get("path")
    if old and old != record["path"] and not Path(old).is_absolute():
        shutil.rmtree(index.path / old, ignore_errors=True)  # a fine-tune's folder
    return report


def follow_switch(index: RagIndex) -> bool:
    """Another process switched the model: adopt it (True) if the index chose its model when
    opened, else raise `IndexMismatchError`; False if the model is unchanged."""
    stored = db.get_meta(index.conn, "model_id")
    if stored == index.embedder.model_id:
        return False
    if not index.follow:
        raise IndexMismatchError(
            f"index {str(index.path)!r} now uses embedding model {stored!r} (switched by a "
            f"fine-tune), not {index.embedder.model_id!r} that this process opened it with; "
            "open it again without an embedder")
    embedder = open_embedder(index.path, index.conn, None, index.encoder)
    if embedder.model_id != stored:
        raise IndexMismatchError(
            f"index {str(index.path)!r} now uses embedding model {stored!r}; the encoder "
            f"{index.encoder!r} this process asked for makes {embedder.model_id!r}: open it "
            "again without an encoder")
    index.adopt_model(embedder)
    return True


def _switch(index: RagIndex, embedder: Any, record: dict[str, Any],
            progress: bool) -> SwitchReport:
    conn = index.conn
    old_id, new_id = index.embedder.model_id, embedder.model_id
    if new_id == old_id:
        raise ConfigError(f"index {str(index.path)!r} already uses model {new_id!r}")
    started = time.perf_counter()
    report = SwitchReport(new_id, old_id)
    with index.lock, db.write(conn):  # rows of an abandoned switch to another model
        conn.execute("DELETE FROM staged_vectors WHERE model_id != ?", (new_id,))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=0, unit="text", desc="re-embed", dynamic_ncols=True)
    try:
        for attempt in range(_ATTEMPTS):
            generation, units = _plan(index, embedder)
            wanted = _stage(index, embedder, units, report, bar, attempt == 0)

            def body(generation: int = generation, units: list[UnitText] = units,
                     wanted: dict[bytes, str] = wanted) -> None:
                if db.get_meta(conn, "generation", 0) != generation:
                    raise _Changed
                embedded, summaries = _new_rows(conn, new_id, units, wanted)
                conn.executemany("UPDATE units SET text_hash = ?, vector = ? WHERE id = ?",
                                 embedded)
                conn.executemany("UPDATE units SET vector = ? WHERE id = ?", summaries)
                db.set_meta(conn, "model_id", new_id)
                db.set_meta(conn, "dim", embedder.dim)
                db.set_meta(conn, "model", record)
                db.delete_meta(conn, "adapter")
                conn.execute("DELETE FROM staged_vectors")

            try:
                with index.lock:
                    adapter = db.get_meta(conn, "adapter")
                    transaction(index, body, {}, {})
                    index.adopt_model(embedder)
            except _Changed:
                log.info("index changed while re-embedding; planning again")
                continue
            if adapter is not None:
                (index.path / adapter["file"]).unlink(missing_ok=True)
            report.units = len(units)
            report.seconds = round(time.perf_counter() - started, 1)
            return report
    finally:
        if bar is not None:
            bar.close()
    raise RagAgentError(f"index {str(index.path)!r} kept changing while it was re-embedded; "
                        "run it again when no ingest is writing to it (what was embedded is "
                        "kept and not embedded again)")


class _Changed(Exception):
    """Another writer committed between planning and the switch's transaction."""
