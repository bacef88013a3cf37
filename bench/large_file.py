"""Large files: peak memory and time of ingesting a 1 MB and a 50 MB text file.

    python bench/large_file.py [--blocks 50] [--block-chars 1000000] [--out FILE]
    python bench/large_file.py --embedder hash --distinct --sizes 1 5 10 25 50 [--out FILE]
    python bench/large_file.py --embedder hash --distinct --as-files --sizes 1 50 [--out FILE]
    python bench/large_file.py --embedder hash --distinct --backend postgres --sizes 1 50

Each file is ingested into a fresh index, in a subprocess of its own (`--worker`), so each peak
RSS (`resource.getrusage`) belongs to one ingest. A file is made of blocks of distinct prose
sentences, each exactly `IndexConfig.max_document_chars` characters ending at a paragraph
break, so each part of a file is one block. By default the file of N blocks repeats one block,
so every sentence and child text after the first part reuses a stored vector (the record says
how many texts were embedded, so this is checked, not assumed); with `--distinct` every block
has sentences of its own and every text is embedded. `--block-chars` scales the whole run down
(block and `max_document_chars` alike) where the full one takes too long.

`--embedder model` (the default) is the packaged all-MiniLM-L6-v2 (torch); `onnx-int8` the same
model on ONNX Runtime. `--embedder hash` replaces the model by `HashEmbedder`: a normalized
384-dimension float32 vector drawn from a hash of each text, with the real tokenizer's
`count_tokens`, so the text is split exactly as with the model while embedding costs almost
nothing. The model itself is not what a large file can make grow (it encodes one batch of at
most `batch_texts` texts at a time); the stand-in measures everything else (reading, parts,
splitting, SQLite, FAISS) at sizes the model would take hours to embed (50 MB: about 640,000
texts, some 10 hours on 2 CPUs).

`--backend postgres` ingests into a new database on a PostgreSQL server the script starts on
127.0.0.1 (`tests/pgserver.py`); the vectors then live in the server, and the ingesting
process holds none of them.

What the peak is made of: the in-memory FAISS collections hold every vector of the index
(`vectors x dim x 4` bytes), measured again as the RSS released when they are dropped after the
ingest; `peak_rss_less_faiss_mb` is the peak without them. `peak_rise_by_step_mb` says which
step raised the peak and by how much (the rise of `ru_maxrss` while that step ran): `faiss_add`
(a committed batch's vectors added to the collections), `save` (the collections serialized and
written at the end), `split`, `embed`, `commit` (SQLite) and `other` (reading, planning).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from _emit import emit  # noqa: E402

from rag_agent.models import clean_texts, default_model_path  # noqa: E402
from rag_agent.settings import IndexConfig  # noqa: E402

BLOCK_CHARS = IndexConfig.max_document_chars
EMBEDDERS = ("model", "onnx-int8", "hash")
RIVERS = ["Danube", "Rhine", "Loire", "Elbe", "Tagus", "Oder", "Vistula", "Rhone", "Po", "Ebro"]
THINGS = ["the ferry timetable", "a grain barge", "the lock keeper", "spring floods",
          "the night shift", "a survey boat", "the harbour crane", "winter ice"]
VERBS = ["delayed", "reported", "recorded", "inspected", "repaired", "measured"]
MONTHS = ["January", "March", "April", "June", "August", "October", "November", "December"]


def blocks(chars: int = BLOCK_CHARS) -> Iterator[str]:
    """Blocks of distinct sentences in paragraphs of five, each exactly `chars` long and ending
    in a blank line; no sentence repeats across blocks (the numbering goes on)."""
    n = 0
    while True:
        paras, size = [], 0
        while True:
            sents = [f"In {MONTHS[i % 8]} of year {1800 + i // 40}, station {i} on the "
                     f"{RIVERS[i % 10]} {VERBS[i % 6]} {THINGS[(i // 3) % 8]} at "
                     f"{(i * 37) % 1000} metres." for i in range(n, n + 5)]
            para = " ".join(sents) + "\n\n"
            if size + len(para) > chars - 2:
                break
            n += 5
            paras.append(para)
            size += len(para)
        text = "".join(paras)
        yield text[:-2] + " " * (chars - len(text)) + "\n\n"  # pad the last paragraph's end


def block(chars: int = BLOCK_CHARS) -> str:
    """The first of `blocks(chars)`."""
    return next(blocks(chars))


class HashEmbedder:
    """A stand-in for the model: the real tokenizer's counts, vectors from a hash of the text.

    Each text's vector is a standard normal draw seeded by its BLAKE2b hash, normalized: equal
    texts get equal vectors, any two others are nearly orthogonal. Only for measuring what the
    pipeline around the model costs; its search results mean nothing.
    """

    model_id = "hash-stand-in-384"
    max_tokens = 256  # all-MiniLM-L6-v2's max_seq_length
    encoder = "hash"

    def __init__(self, dim: int = 384) -> None:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(default_model_path() / "tokenizer.json"))
        tok.no_truncation()  # as SentenceTransformerEmbedder.count_tokens (truncation=False)
        tok.no_padding()
        self.tokenizer = tok
        self._dim = dim

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = np.empty((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(clean_texts(texts)):
            seed = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
            rows[i] = np.random.default_rng(int.from_bytes(seed, "little")).standard_normal(
                self._dim, dtype=np.float32)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        return rows

    def count_tokens(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self.tokenizer.encode_batch(clean_texts(texts),
                                                                add_special_tokens=True)]


def make_embedder(name: str) -> Any:
    if name == "hash":
        return HashEmbedder()
    from rag_agent.models import named_encoder

    emb = named_encoder("torch" if name == "model" else name)
    emb.encode(["load the model before the clock starts"])
    return emb


class PeakSteps:
    """Which step raised the process's peak RSS, and by how much: `ru_maxrss` is read at every
    entry to and exit from a watched function, and each rise is put on the innermost step
    running (`other` when none is)."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.last = self.maxrss()
        self.rise: dict[str, int] = {}
        self.watched: list[str] = []
        self.entered: dict[str, int] = {}
        """step -> the peak RSS when it was first entered"""

    @staticmethod
    def maxrss() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def mark(self) -> None:
        now = self.maxrss()
        if now > self.last:
            step = self.stack[-1] if self.stack else "other"
            self.rise[step] = self.rise.get(step, 0) + now - self.last
            self.last = now

    def watch(self, owner: Any, name: str, step: str) -> None:
        """Wrap `owner.name` (a module function, a method or an object's attribute) if it
        exists; the bench outlives renames inside the package by watching less."""
        fn = getattr(owner, name, None)
        if fn is None:
            return

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            self.mark()
            self.entered.setdefault(step, self.last)
            self.stack.append(step)
            try:
                return fn(*args, **kwargs)
            finally:
                self.mark()
                self.stack.pop()

        setattr(owner, name, wrapped)
        self.watched.append(f"{getattr(owner, '__name__', type(owner).__name__)}.{name}")


class Sampler(threading.Thread):
    """Every `interval` seconds: (RSS, vectors in the FAISS collections, the step running)."""

    def __init__(self, index: Any, steps: PeakSteps, interval: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.index, self.steps, self.interval = index, steps, interval
        self.samples: list[tuple[int, int, str]] = []
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        proc = psutil.Process()
        while not self.done.wait(self.interval):
            vectors = sum(c.ntotal for c in list(self.index.collections.values()))
            step = self.steps.stack[-1] if self.steps.stack else "other"
            self.samples.append((proc.memory_info().rss, vectors, step))

    def less_faiss(self, per_vector: float) -> dict[str, int]:
        """step -> the highest RSS sampled while it ran, less the FAISS collections' vectors
        at that moment (`per_vector` bytes each)."""
        out: dict[str, int] = {}
        for rss_now, vectors, step in self.samples:
            out[step] = max(out.get(step, 0), int(rss_now - vectors * per_vector))
        return out


def rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def trim() -> None:
    """Give freed heap memory back to the system (glibc), so RSS shows what is still held."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def watch_steps(steps: PeakSteps, index: Any) -> None:
    from rag_agent.index import rows, vectors, writer

    steps.watch(vectors.VectorCollection, "add", "faiss_add")
    steps.watch(writer, "split_document", "split")
    steps.watch(writer, "commit_batch", "commit")
    steps.watch(rows, "transaction", "commit")
    steps.watch(index.embedder, "encode", "embed")
    steps.watch(index, "save", "save")


def worker(path: Path, index_dir: str, max_chars: int, embedder: str) -> dict:
    """Ingest one file into a fresh index; what it cost (run in its own process)."""
    from rag_agent import RagIndex

    emb = make_embedder(embedder)
    loaded_rss = rss()
    loaded_peak = PeakSteps.maxrss()
    config = IndexConfig(max_document_chars=max_chars)
    steps = PeakSteps()
    started = time.perf_counter()
    index = RagIndex.open(index_dir, embedder=emb, config=config)
    watch_steps(steps, index)
    sampler = Sampler(index, steps)
    sampler.start()
    try:
        report = index.add_paths([path])
    finally:
        index.close()
        sampler.done.set()
        sampler.join()
    seconds = time.perf_counter() - started
    steps.mark()
    peak = PeakSteps.maxrss()
    vectors = sum(c.ntotal for c in index.collections.values())
    faiss_bytes = vectors * index.dim * 4
    trim()
    held = rss()
    index.collections.clear()  # drop the FAISS collections: what they held is given back
    trim()
    released = held - rss()
    per_vector = released / vectors if vectors else 0.0  # the vector, its id, its map entry
    by_step = sampler.less_faiss(per_vector)
    batch_steps = [v for k, v in by_step.items() if k not in ("faiss_add", "save")]
    return {
        "file_mb": round(input_bytes(path) / 1e6, 1),
        "embedder": embedder,
        "seconds": round(seconds, 1),
        "documents": report.documents,
        "skipped": [s.reason for s in report.skipped],
        "units": report.units,
        "embedded": report.embedded,
        "reused_vectors": report.reused_vectors,
        "peak_rss_mb": round(peak / 1e6),
        "rss_after_model_load_mb": round(loaded_rss / 1e6),
        "peak_rss_before_ingest_mb": round(loaded_peak / 1e6),
        "faiss_vectors": vectors,
        "faiss_in_memory_mb": round(faiss_bytes / 1e6),
        "faiss_released_mb": round(released / 1e6),
        "peak_rss_less_faiss_mb": round((peak - faiss_bytes) / 1e6),
        "peak_rss_before_save_mb": round(steps.entered.get("save", peak) / 1e6),
        "rss_after_ingest_mb": round(held / 1e6),
        "peak_rise_by_step_mb": {k: round(v / 1e6) for k, v in sorted(steps.rise.items())},
        "faiss_bytes_per_vector": round(per_vector),
        "rss_less_faiss_by_step_mb": {k: round(v / 1e6) for k, v in sorted(by_step.items())},
        "rss_less_faiss_outside_faiss_steps_mb": round(max(batch_steps, default=0) / 1e6),
        "samples": len(sampler.samples),
        "watched": steps.watched,
    }


def run(path: Path, index_dir: str, max_chars: int, embedder: str) -> dict:
    cmd = [sys.executable, __file__, "--worker", str(path), str(index_dir), str(max_chars),
           embedder]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "returncode": proc.returncode}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_input(path: Path, n_blocks: int, chars: int, distinct: bool, as_files: bool) -> None:
    """`n_blocks` blocks as one file at `path`, or (`as_files`) as a folder of one-block files."""
    source: Callable[[], str]
    if distinct:
        source = blocks(chars).__next__
    else:
        one = block(chars)
        source = lambda: one  # noqa: E731
    if as_files:
        path.mkdir()
        for i in range(n_blocks):
            (path / f"part_{i:04d}.txt").write_text(source())
        return
    with path.open("w") as fh:
        for _ in range(n_blocks):
            fh.write(source())


def input_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size


def _server(backend: str) -> Any:
    """A PostgreSQL server for `--backend postgres` (stopped after), else nothing."""
    if backend != "postgres":
        return contextlib.nullcontext(None)
    from tests.pgserver import local_server

    return local_server()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=50, help="blocks of the large file")
    ap.add_argument("--sizes", type=int, nargs="+", default=None,
                    help="file sizes in blocks, one ingest each (default: 1 and --blocks)")
    ap.add_argument("--block-chars", type=int, default=BLOCK_CHARS)
    ap.add_argument("--embedder", choices=EMBEDDERS, default="model")
    ap.add_argument("--distinct", action="store_true",
                    help="every block distinct (every text embedded), not one block repeated")
    ap.add_argument("--as-files", action="store_true",
                    help="each input as a folder of one-block files (the control: the same "
                         "text and index size without a large file)")
    ap.add_argument("--backend", choices=("folder", "postgres"), default="folder",
                    help="postgres: a server this script starts on 127.0.0.1 (tests/pgserver.py)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--worker", nargs=4, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), args.worker[1],
                                int(args.worker[2]), args.worker[3])))
        return 0
    sizes = args.sizes or [1, args.blocks]
    work = Path(tempfile.mkdtemp(prefix="rag-large-"))
    runs = []
    with _server(args.backend) as server:
        for n in sizes:
            path = work / (f"blocks_{n}" if args.as_files else f"blocks_{n}.txt")
            write_input(path, n, args.block_chars, args.distinct, args.as_files)
            location = (server.database(f"large_{n}") if server else str(work / f"ix-{n}"))
            result = run(path, location, args.block_chars, args.embedder)
            runs.append({"blocks": n, "files": n if args.as_files else 1,
                         "backend": args.backend, **result})
            print(json.dumps(runs[-1]), file=sys.stderr)
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            shutil.rmtree(work / f"ix-{n}", ignore_errors=True)
    ok = [r for r in runs if "error" not in r]
    ratio = {}
    if len(ok) == len(runs) and len(ok) >= 2:
        a, b = ok[0], ok[-1]
        ratio = {
            "blocks": f"{b['blocks']} / {a['blocks']}",
            "peak_rss": round(b["peak_rss_mb"] / a["peak_rss_mb"], 2),
            "peak_rss_less_faiss": round(b["peak_rss_less_faiss_mb"]
                                         / a["peak_rss_less_faiss_mb"], 2),
            "seconds": round(b["seconds"] / max(a["seconds"], 1e-9), 2),
            "embedded": round(b["embedded"] / max(a["embedded"], 1), 2),
        }
    result = {
        "command": " ".join(["python", "bench/large_file.py", *sys.argv[1:]]),
        "embedder": args.embedder,
        "max_document_chars": args.block_chars,
        "block_chars": args.block_chars,
        "distinct": args.distinct,
        "as_files": args.as_files,
        "backend": args.backend,
        "cpus": os.cpu_count(),
        "runs": runs,
        "ratio_largest_to_smallest": ratio,
    }
    emit(result, args.out)
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok and len(ok) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
