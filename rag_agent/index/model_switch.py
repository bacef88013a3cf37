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
`open_embedder` is how an index finds its own model (the `model` record's folder), and
`card_record` what a fine-tune's folder says about itself.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag_agent.errors import ConfigError, IndexMismatchError, RagAgentError
from rag_agent.index import db
from rag_agent.index.embedded import UnitText, unit_texts
from rag_agent.index.rows import text_hash, transaction
from rag_agent.models import MODEL_CARD, Embedder, make_embedder, named_encoder

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["SwitchReport", "card_record", "open_embedder", "switch_model"]

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
    with index.lock:
        conn.execute("BEGIN")  # one snapshot for the generation and the units
        try:
            generation = db.get_meta(conn, "generation", 0)
            units = unit_texts(conn, index.config, embedder.count_tokens)
        finally:
            conn.execute("COMMIT")
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


def switch_model(index: RagIndex, embedder: Any, record: dict[str, Any], *,
                 progress: bool = False) -> SwitchReport:
    """Re-embed every unit of `index` with `embedder` and make it the index's model in one
    commit; `record` (path, version, how it was trained) is stored as the `model` meta entry.
    Raises `RagAgentError` if other writers keep changing the index while it runs."""
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


def open_embedder(folder: Path, conn: Any, embedder: Any, encoder: str | None) -> Embedder:
    """The embedder asked for, else the index's own model run by `encoder` (default: the
    encoder its record names, else torch)."""
    if embedder is not None:
        if encoder is not None:
            raise ConfigError("give an embedder or an encoder name, not both")
        return make_embedder(embedder)
    record = db.get_meta(conn, "model") or {}
    where = record.get("path")
    if not where:
        return named_encoder(encoder or "torch")
    model = folder / where
    if not model.is_dir():
        raise IndexMismatchError(f"index {str(folder)!r} uses the model in {str(model)!r}, "
                                 "which is missing; restore it, or open the index with that "
                                 "model's path as its embedder")
    return named_encoder(encoder or record.get("encoder") or "torch", model)


def card_record(folder: Path) -> dict[str, Any]:
    """What a fine-tune wrote about the model in `folder` (base, pairs, steps), for its record."""
    card = folder / MODEL_CARD
    if not card.is_file():
        return {}
    info = json.loads(card.read_text(encoding="utf-8"))
    version = folder.name.rpartition("-")[2]
    return {"base": info.get("base"), "pairs": info.get("examples"), "steps": info.get("steps"),
            "epochs": info.get("epochs"), **({"version": int(version)} if version.isdigit()
                                             else {})}


class _Changed(Exception):
    """Another writer committed between planning and the switch's transaction."""
