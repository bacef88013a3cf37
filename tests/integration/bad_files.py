"""A corpus of hostile files mixed with good ones, for the reliability suite and its benchmark.

    cases = write_corpus(root)                     # one folder, ~45 entries
    report = index.add_paths([root])
    rows = outcomes(root, cases, report, index)    # file, expected, outcome, reason per case

Each `Case` says what must happen to its file: "ingested" (a document from it is stored) or
"skipped" (it is in `report.skipped` with a reason). Where the answer depends on the machine
(chmod 000 does not stop root), the expectation says so. `tests/integration/test_bad_input.py`
asserts every expectation; `bench/fuzz_ingest.py` writes the same table as JSON.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Case", "format_table", "make_deep", "minimal_pdf", "outcomes", "remove_corpus",
           "remove_tree", "write_corpus"]

DEEP_LEVELS = 1100
"""Deeper than Python's recursion limit: a recursive walk would raise RecursionError."""


@dataclass(frozen=True)
class Case:
    """One entry of the corpus and the outcome it must have."""

    name: str
    """Path relative to the corpus folder."""
    expect: str
    """"ingested" or "skipped"."""
    why: str
    """What is hostile about it (or "good file")."""
    records: tuple[str, ...] = ()
    """For JSON/JSONL: ids of the records that must be ingested (others are skipped lines)."""


def minimal_pdf(text: str) -> bytes:
    """A valid one-page PDF whose text layer is `text` (xref offsets computed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _chmod_blocks() -> bool:
    """Whether chmod 000 stops this process from reading (it does not stop root)."""
    return os.geteuid() != 0 if hasattr(os, "geteuid") else True


def write_corpus(root: Path, *, long_line_chars: int = 2_000_000, seed: int = 0) -> list[Case]:
    """Write the corpus into `root` (created) and return what each entry must become."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    cases: list[Case] = []

    def put(name: str, data: bytes | str, expect: str, why: str, *records: str) -> Path:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        cases.append(Case(name, expect, why, records))
        return path

    # good files, one of each format
    put("good/plain.txt", "Solar panels convert light into electricity. Output depends on "
        "the angle of the sun.", "ingested", "good file")
    put("good/notes.md", "---\ntitle: Wind Notes\nyear: 2023\n---\n# Wind\n\nTurbines turn "
        "wind into power. Offshore sites are windier.", "ingested", "good file")
    put("good/page.html", "<html><head><title>Hydro</title></head><body><p>Dams store water "
        "behind them.</p><p>Turbines sit below.</p></body></html>", "ingested", "good file")
    put("good/records.jsonl", "".join(json.dumps(r) + "\n" for r in [
        {"_id": "geo-1", "title": "Geothermal", "text": "Heat from the earth drives turbines."},
        {"_id": "geo-2", "text": "Hot springs are a sign of geothermal heat.", "year": 2021}]),
        "ingested", "good file", "geo-1", "geo-2")
    put("good/report.pdf", minimal_pdf("Batteries store energy for the evening peak."),
        "ingested", "good file")

    # the file system
    for name, target, why in [("loop.txt", "loop.txt", "symbolic link loop"),
                              ("broken.txt", "no-such-target.txt", "broken symbolic link"),
                              ("zero.txt", "/dev/zero", "link to a device that never ends")]:
        (root / name).symlink_to(target)
        cases.append(Case(name, "skipped", why))
    os.mkfifo(root / "pipe.txt")
    cases.append(Case("pipe.txt", "skipped", "FIFO: a read would block forever"))
    (root / "loop-dir").symlink_to(".")
    cases.append(Case("loop-dir", "skipped", "link to a folder (its own parent)"))
    put("folder.txt/inside.txt", "A folder named like a text file holds this. It is read.",
        "ingested", "file inside a folder named x.txt")
    blocked = _chmod_blocks()  # as root, both are read: the expectations say so
    locked = put("locked.txt", "Readable only by root. Mode 000.",
                 "skipped" if blocked else "ingested", "chmod 000 file")
    locked_dir = root / "locked-dir"
    (locked_dir / "inside.txt").parent.mkdir()
    (locked_dir / "inside.txt").write_text("Inside a folder nobody may list.")
    cases.append(Case("locked-dir", "skipped", "chmod 000 folder") if blocked else
                 Case("locked-dir/inside.txt", "ingested", "file in a chmod 000 folder"))
    bottom = make_deep(root / "deep", DEEP_LEVELS, "bottom.txt",
                       "Found at the bottom of a very deep tree of folders.")
    cases.append(Case(str(bottom.relative_to(root)), "ingested", f"{DEEP_LEVELS} nested folders"))
    put("new\nline.txt", "A file name with a newline in it. Still fine.", "ingested",
        "newline in the file name")
    put("\u00fcn\u00efc\u00f8d\u00e9 \u65e5\u672c.txt", "Unicode in the file name. Fine too.",
        "ingested", "unicode file name")
    bad_name = os.fsencode(root) + b"/undecodable-\xff.txt"
    with open(bad_name, "wb") as fh:
        fh.write(b"The name of this file is not valid UTF-8. The text is.")
    cases.append(Case(os.fsdecode(bad_name)[len(str(root)) + 1:], "ingested",
                      "file name not valid UTF-8"))
    put("image.png", b"\x89PNG\r\n\x1a\n" + rng.randbytes(64), "skipped", "unsupported type")

    # contents
    put("empty.txt", b"", "skipped", "empty file")
    put("blank.txt", " \n\t\r\n  ", "skipped", "whitespace only")
    put("nul-after-8k.txt", b"Plain words here. " * 600 + b"\x00\x00 hidden tail.", "skipped",
        "NUL bytes after the first 8 KB")
    put("binary.txt", bytes(rng.randrange(256) for _ in range(4096)), "skipped",
        "random binary bytes")
    put("invalid-utf8.txt", "Caf\u00e9 cr\u00e8me, na\u00efve.".encode("latin-1"),
        "skipped", "Latin-1 bytes, not valid UTF-8")
    put("utf16-bom.txt", "Sixteen bits a unit. With a byte-order mark.".encode("utf-16"),
        "ingested", "UTF-16 with BOM")
    put("utf8-bom.txt", b"\xef\xbb\xbfA UTF-8 byte-order mark starts this file.", "ingested",
        "UTF-8 with BOM")
    put("controls.txt", "Bell\x07 and escape\x1b[31m codes. Vertical\x0btab. Form\ffeed.",
        "ingested", "control characters in text")
    put("long-line.txt", "a" * long_line_chars, "ingested",
        f"one {long_line_chars:,}-character line without spaces")
    put("cr-only.txt", "Old Mac line ends.\rSecond line.\rThird.", "ingested",
        "carriage returns only")
    put("surrogates.jsonl", "".join(line + "\n" for line in [
        '{"_id": "sur-1", "text": "lone \\ud800 high and \\udcff low surrogates."}',
        '{"_id": "sur-2", "text": "a NUL \\u0000 escape and a bell \\u0007."}',
        '{"_id": "sur-\\udfff", "title": "T\\ud83d", "text": "Surrogates in the id."}']),
        "ingested", "lone surrogate and NUL escapes in JSON", "sur-1", "sur-2", "sur-\ufffd")
    put("mixed.jsonl", "".join(line + "\n" for line in [
        '{not json at all', '[1, 2, 3]', '{"text": "no id"}', '{"_id": "m-empty", "text": ""}',
        '{"_id": "m-nan", "text": "A NaN score is dropped.", "score": NaN}',
        '{"_id": "m-keys", "text": "Keys with quotes.", "my\\"key": 1, "fiscal year": 2023}',
        '{"_id": "m-big", "text": "A huge number.", "n": ' + "9" * 5000 + "}",
        '{"_id": "m-ok", "text": "The one plain record. With \\u2028 a line separator."}']),
        "ingested", "JSONL without metadata and with bad lines", "m-nan", "m-keys", "m-ok")
    put("deep.json", "[" * 100_000 + "]" * 100_000, "skipped", "JSON nested 100,000 deep")
    put("truncated.json", '[{"_id": "t1", "text": "cut', "skipped", "truncated JSON")
    pdf = minimal_pdf("This PDF is cut short.")
    put("truncated.pdf", pdf[: len(pdf) // 2], "skipped", "truncated PDF")
    put("garbage.pdf", b"%PDF-1.7\n" + rng.randbytes(2048), "skipped", "PDF header, then noise")
    put("garbled.html", "<html><body><p>Text before.</p><![bogus <p>Text after.</p>"
        "<script>alert(1)</script></body>", "ingested", "markup html.parser raises on")
    put("markup-only.html", "<html><head><title>x</title></head><body><br/></body></html>",
        "skipped", "HTML with no visible text")
    put("bad-date.md", "---\ndate: 2023-02-30\ntitle: [unclosed\n---\nA note with broken "
        "front matter.", "ingested", "front matter YAML raises on")
    put("bad-keys.md", '---\n"my\\"key": 1\nFiscal Year: 2023\n---\nA note whose front matter '
        "keys no filter could name.", "ingested", "metadata keys with quotes and spaces")

    locked.chmod(0)
    locked_dir.chmod(0)
    return cases


def remove_corpus(root: Path) -> None:
    """Delete the corpus: give back the permissions `write_corpus` took, then remove it
    without recursion (shutil.rmtree, and so pytest's tmp_path clean-up, would hit
    RecursionError in the `DEEP_LEVELS` folders and fail a later test session)."""
    for name in ("locked.txt", "locked-dir"):
        if (root / name).exists():
            (root / name).chmod(0o755)
    remove_tree(root)


def remove_tree(top: Path) -> None:
    """Remove folder `top` and everything in it, at any depth (rm walks without recursing)."""
    subprocess.run(["rm", "-rf", "--", os.fspath(top)], check=True)


def make_deep(top: Path, levels: int, name: str, text: str) -> Path:
    """`top/d/d/.../d/name` (`levels` folders) holding `text`; made relative to an open
    folder at each step, so the cost does not grow with the depth (os.makedirs recurses)."""
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        with os.fdopen(out, "w") as fh:
            fh.write(text)
    finally:
        os.close(fd)
    return Path(os.path.join(top, *["d"] * levels, name))


def outcomes(root: Path, cases: list[Case], report: Any, index: Any) -> list[dict[str, str]]:
    """One row per case: file, why, expected, outcome ("ingested", "skipped", or "missing":
    neither stored nor reported, which is a failure) and the reasons from the report."""
    stored = {row[0] for row in index.conn.execute("SELECT source_id FROM documents")}
    metas = [json.loads(row[0]) for row in index.conn.execute("SELECT metadata FROM documents")]
    files = {m.get("file") for m in metas}
    stored |= {m["source_of_part"] for m in metas if "source_of_part" in m}  # a large file's parts
    skipped = [(s.source, s.reason) for s in report.skipped]
    rows = []
    for case in cases:
        path = os.path.join(root, case.name)
        shown, real = _shown(path), _shown(os.path.realpath(path))
        reasons = [r if source in (shown, real) else f"{source.rsplit(':', 1)[1]}: {r}"
                   for source, r in skipped if source in (shown, real)
                   or source.startswith((shown + ":", real + ":"))]
        if case.records:
            whole = all(r in stored for r in case.records) and real in files
            outcome = "ingested" if whole else "missing"
        elif real in stored:
            outcome = "ingested"
        else:
            outcome = "skipped" if reasons and all(reasons) else "missing"
        rows.append({"file": _label(case.name), "why": case.why, "expected": case.expect,
                     "outcome": outcome, "reason": "; ".join(reasons)})
    return rows


def format_table(rows: list[dict[str, str]]) -> str:
    """The rows as a Markdown table (file, expected, outcome, reason)."""
    lines = ["| file | what | outcome | reason |", "| --- | --- | --- | --- |"]
    for row in rows:
        mark = "" if row["outcome"] == row["expected"] else f" (expected {row['expected']})"
        reason = row["reason"].replace("|", "\\|")
        lines.append(f"| `{row['file']}` | {row['why']} | {row['outcome']}{mark} | {reason} |")
    return "\n".join(lines)


def _shown(path: str) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _label(name: str) -> str:
    name = _shown(name).replace("\n", "\\n")
    return name if len(name) <= 60 else f"{name[:12]}...{name[-20:]}"
