import json
import os
from pathlib import Path

import pytest

from rag_agent.ingest.loaders import Skipped, discover, iter_documents


def load(paths: list[Path]) -> tuple[list, list[Skipped]]:
    skipped: list[Skipped] = []
    docs = list(iter_documents(discover(paths, skipped), skipped))
    return docs, skipped


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


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "good.txt").write_text("Plain text. Two sentences.")
    (root / "note.md").write_text("---\ntitle: Front Title\nyear: 2023\ndate: 2023-09-30\n---\n"
                                  "# Heading\n\nBody text here.")
    (root / "page.html").write_text("<html><head><title>Page T</title><style>x{}</style></head>"
                                    "<body><p>Hello <b>world</b>.</p><script>evil()</script>"
                                    "<p>Second para.</p></body></html>")
    (root / "doc.pdf").write_bytes(minimal_pdf("Hello from a PDF file."))
    (root / "sub" / "records.jsonl").write_text(
        json.dumps({"_id": "r1", "title": "Rec 1", "text": "Record one.", "metadata": {"k": 1}})
        + "\n{not json\n"
        + json.dumps({"_id": "r2", "text": ""}) + "\n"
        + json.dumps({"title": "no id", "text": "x"}) + "\n"
        + json.dumps({"_id": "r3", "text": "Record three.", "year": 2020}) + "\n")
    (root / "list.json").write_text(json.dumps([{"id": 7, "content": "Seven."}]))
    (root / "empty.txt").write_text("   \n")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (root / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (root / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    (root / "image.png").write_bytes(b"\x89PNG....")
    (root / ".hidden.txt").write_text("ignored")
    return root


def test_good_files_load_and_bad_ones_are_reported(corpus: Path) -> None:
    docs, skipped = load([corpus, corpus / "missing.txt"])
    by_source = {Path(d.source_id).name if "/" in d.source_id else d.source_id: d for d in docs}
    assert set(by_source) == {"good.txt", "note.md", "page.html", "doc.pdf", "r1", "r3", "7"}
    reasons = {Path(s.source.split(":")[0]).name + s.source[len(s.source.split(":")[0]):]: s.reason
               for s in skipped}
    assert "empty file" in reasons["empty.txt"]
    assert "binary content" in reasons["binary.txt"]
    assert "not valid utf-8" in reasons["latin1.txt"] and "--encoding" in reasons["latin1.txt"]
    assert "broken or encrypted PDF" in reasons["broken.pdf"]
    assert "unsupported file type '.png'" in reasons["image.png"]
    assert "no such file" in reasons["missing.txt"]
    assert "invalid JSON" in reasons["records.jsonl:line 2"]
    assert "has no text" in reasons["records.jsonl:line 3"]
    assert "has no id" in reasons["records.jsonl:line 4"]
    assert len(skipped) == 9


def test_formats_give_titles_text_and_metadata(corpus: Path) -> None:
    docs, _ = load([corpus])
    by_title = {d.title: d for d in docs}
    md = by_title["Front Title"]
    assert md.metadata["year"] == 2023 and md.metadata["date"] == "2023-09-30"
    assert md.text.strip() == "# Heading\n\nBody text here."
    html = by_title["Page T"]
    assert html.text == "Hello world.\n\nSecond para."
    assert "Hello from a PDF file." in by_title["doc"].text
    rec = by_title["Rec 1"]
    assert rec.source_id == "r1" and rec.metadata["k"] == 1 and rec.text == "Record one."
    assert by_title["r3"].metadata["year"] == 2020


def test_encoding_can_be_given(corpus: Path) -> None:
    skipped: list[Skipped] = []
    docs = list(iter_documents([corpus / "latin1.txt"], skipped, encoding="latin-1"))
    assert docs[0].text == "caf\xe9" and not skipped


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_reported(corpus: Path) -> None:
    (corpus / "good.txt").chmod(0)
    _, skipped = load([corpus / "good.txt"])
    assert "permission denied" in skipped[0].reason


def test_unreadable_file_is_reported_even_as_root(corpus: Path) -> None:
    target = corpus / "dir.txt"
    target.mkdir()  # a folder named like a file cannot be read as one
    skipped: list[Skipped] = []
    assert list(iter_documents([target], skipped)) == []
    assert "cannot read" in skipped[0].reason
