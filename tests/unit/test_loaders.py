import json
import os
from pathlib import Path

import pytest

from rag_agent.ingest.loaders import Skipped, discover, iter_documents
from tests.integration.bad_files import make_deep, minimal_pdf, remove_tree


def load(paths: list[Path]) -> tuple[list, list[Skipped]]:
    skipped: list[Skipped] = []
    docs = list(iter_documents(discover(paths, skipped), skipped))
    return docs, skipped


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


# ----- what the file system can throw at discovery and reading -----------------------------
def _reasons(skipped: list[Skipped]) -> dict[str, str]:
    return {os.path.basename(s.source): s.reason for s in skipped}


def test_links_fifos_devices_and_folders_named_txt_are_skipped_and_the_rest_loads(
        tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "good.txt").write_text("A good file. It stays.")
    (root / "loop.txt").symlink_to(root / "loop.txt")
    (root / "broken.txt").symlink_to(root / "nowhere.txt")
    os.mkfifo(root / "pipe.txt")  # reading it would block forever
    (root / "zero.txt").symlink_to("/dev/zero")  # reading it would never end
    (root / "folder.txt").mkdir()
    (root / "folder.txt" / "inner.txt").write_text("Inside a folder named like a file.")
    docs, skipped = load([root])
    assert sorted(Path(d.source_id).name for d in docs) == ["good.txt", "inner.txt"]
    reasons = _reasons(skipped)
    assert set(reasons) == {"loop.txt", "broken.txt", "pipe.txt", "zero.txt"}
    assert "symbolic link loop" in reasons["loop.txt"]
    assert "broken symbolic link" in reasons["broken.txt"] and "nowhere.txt" in reasons["broken.txt"]
    assert "FIFO" in reasons["pipe.txt"] and "character device" in reasons["zero.txt"]


def test_a_symlink_loop_named_txt_does_not_stop_an_ingestion(tmp_path: Path,
                                                             fake_embedder: object) -> None:
    from rag_agent.index.store import RagIndex

    root = tmp_path / "docs"
    root.mkdir()
    (root / "good.txt").write_text("A good file. It has two sentences.")
    (root / "loop.txt").symlink_to(root / "loop.txt")
    with RagIndex.open(tmp_path / "idx", embedder=fake_embedder) as index:
        report = index.add_paths([root])
        assert report.added == 1
        assert [(Path(s.source).name, "loop" in s.reason) for s in report.skipped] == [
            ("loop.txt", True)]


def test_permission_denied_is_a_reason_even_as_root(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "docs"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "hidden.txt").write_text("Never listed.")
    (root / "good.txt").write_text("Readable.")
    (root / "secret.txt").write_text("Not readable.")
    real_open, real_scandir = os.open, os.scandir

    def deny_open(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith("secret.txt"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    def deny_scandir(path: object = ".") -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "open", deny_open)
    monkeypatch.setattr(os, "scandir", deny_scandir)
    docs, skipped = load([root])
    assert [Path(d.source_id).name for d in docs] == ["good.txt"]
    reasons = _reasons(skipped)
    assert reasons["secret.txt"] == "permission denied; make the file readable"
    assert reasons["locked"].startswith("cannot list folder: Permission denied")


def test_bad_top_level_paths_are_reasons_not_errors(tmp_path: Path) -> None:
    skipped: list[Skipped] = []
    assert discover(["~no-such-user-here/x.txt", "a\x00b.txt", tmp_path / "missing"],
                    skipped) == []
    assert [s.reason.split(" (")[0].split(";")[0] for s in skipped] == [
        "unusable path", "unusable path", "no such file or folder"]


def test_a_link_to_a_folder_is_reported_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_text("A.")
    (root / "again").symlink_to(root)  # would loop if followed
    docs, skipped = load([root])
    assert [Path(d.source_id).name for d in docs] == ["a.txt"]
    assert "link to a folder, not followed" in _reasons(skipped)["again"]


def test_folders_deeper_than_the_recursion_limit_are_walked(tmp_path: Path) -> None:
    deep = tmp_path / "deep"
    make_deep(deep, 1100, "bottom.txt", "At the bottom.")
    try:
        docs, skipped = load([deep])
    finally:
        remove_tree(deep)  # pytest's own clean-up of tmp_path would recurse
    assert [d.text for d in docs] == ["At the bottom."] and not skipped


def test_estimating_does_not_block_on_a_fifo(tmp_path: Path) -> None:
    from rag_agent.ingest.loaders import estimate_documents

    os.mkfifo(tmp_path / "pipe.jsonl")
    (tmp_path / "two.jsonl").write_text('{"_id": 1, "text": "a"}\n{"_id": 2, "text": "b"}\n')
    assert estimate_documents([tmp_path / "pipe.jsonl", tmp_path / "two.jsonl"]) == 3


def test_an_undecodable_file_name_gives_a_storable_source(tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/bad\xff name.txt"
    with open(name, "wb") as fh:
        fh.write(b"Text under a bad name.")
    docs, skipped = load([tmp_path])
    assert not skipped and docs[0].source_id.endswith("bad\\xff name.txt")
    docs[0].source_id.encode("utf-8")  # SQLite stores it: no surrogate escapes left
    assert docs[0].title == "bad\\xff name"


# ----- NUL bytes, control characters, surrogates, encodings ---------------------------------
def test_nul_bytes_anywhere_make_a_file_binary(tmp_path: Path) -> None:
    (tmp_path / "late.txt").write_bytes(b"Text here. " * 2000 + b"\x00 and a tail.")
    (tmp_path / "late.json").write_bytes(b'{"_id": 1, "text": "' + b"x" * 9000 + b'\x00"}')
    docs, skipped = load([tmp_path])
    assert docs == []
    assert {s.reason for s in skipped} == {
        "binary content (NUL bytes) in a text file; is the extension wrong?"}


def test_stray_control_characters_are_stripped_from_text_files(tmp_path: Path) -> None:
    (tmp_path / "bell.txt").write_text("Ring\x07 the bell.\x1b[0m\x0bNext line.\ttab\fpage")
    (tmp_path / "r.jsonl").write_text(
        json.dumps({"_id": "n\x01ul", "title": "T\x00", "text": "a\x00b \ud800 c.",
                    "note": "x\x02y"}) + "\n")
    docs, _ = load([tmp_path])
    by_name = {d.title: d for d in docs}
    assert by_name["bell"].text == "Ring the bell.[0m\nNext line.\ttab\fpage"
    rec = by_name["T"]
    assert (rec.source_id, rec.text, rec.metadata["note"]) == ("nul", "ab \ufffd c.", "xy")


def test_utf16_needs_a_bom_or_the_encoding(tmp_path: Path) -> None:
    text = "UTF sixteen text. Second sentence."
    (tmp_path / "bom.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "nobom.txt").write_bytes(text.encode("utf-16-le"))
    docs, skipped = load([tmp_path])
    assert [d.text for d in docs] == [text]
    assert _reasons(skipped) == {
        "nobom.txt": "binary content (NUL bytes) in a text file; is the extension wrong?"}
    skipped = []
    docs = list(iter_documents([tmp_path / "nobom.txt"], skipped, encoding="utf-16-le"))
    assert [d.text for d in docs] == [text] and not skipped


def test_an_unknown_encoding_is_refused_before_any_file_is_read(tmp_path: Path) -> None:
    from rag_agent.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown encoding 'utf-9'"):
        iter_documents([tmp_path / "a.txt"], [], encoding="utf-9")


# ----- formats that make parsers raise --------------------------------------------------------
def test_garbled_json_html_markdown_and_pdf_never_stop_a_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "big.jsonl").write_text(
        '{"_id": "big", "text": "t.", "n": ' + "9" * 5000 + '}\n'
        + json.dumps({"_id": "sep", "text": "one\u2028two."}) + "\n")
    (tmp_path / "odd.html").write_text("<p>Before.</p><![bogus x <p>After.</p>")
    (tmp_path / "date.md").write_text("---\ndate: 2023-02-30\n---\nBody of a note.")
    (tmp_path / "doc.pdf").write_bytes(minimal_pdf("Fine."))
    import pypdf

    def explode(*args: object, **kwargs: object) -> None:
        raise IndexError("list index out of range")

    monkeypatch.setattr(pypdf, "PdfReader", explode)
    docs, skipped = load([tmp_path])
    texts = {d.source_id if "/" not in d.source_id else Path(d.source_id).name: d.text
             for d in docs}
    assert texts["sep"] == "one\u2028two."  # JSON Lines are split on \n only
    assert texts["odd.html"] == "Before.\nAfter." and "Body of a note." in texts["date.md"]
    reasons = _reasons(skipped)
    assert "RecursionError" in reasons["deep.json"]
    assert "ValueError" in reasons["big.jsonl:line 1"]
    assert "broken or encrypted PDF (IndexError" in reasons["doc.pdf"]


# ----- metadata keys a filter can name -------------------------------------------------------
def test_metadata_keys_from_files_are_made_filterable_with_a_warning(tmp_path: Path) -> None:
    from rag_agent.index.filters import compile_filter

    (tmp_path / "r.jsonl").write_text(json.dumps(
        {"_id": "r1", "text": "Record.", 'my"key': 1, "fiscal year": 2023, "score": float("nan"),
         "metadata": {"a.b": "x"}}) + "\n")
    (tmp_path / "n.md").write_text("---\nDate Filed: 2023-01-02\n---\nA note.")
    docs, _ = load([tmp_path])
    metas = {d.title: d.metadata for d in docs}
    assert {k: v for k, v in metas["r1"].items() if k not in {"file", "record_id"}} == {
        "my_key": 1, "fiscal_year": 2023, "a_b": "x"}
    assert metas["n"]["Date_Filed"] == "2023-01-02"
    for meta in metas.values():
        for key in meta:
            compile_filter({key: 1})  # every stored key can be filtered on
    skipped: list[Skipped] = []
    warnings: list[Skipped] = []
    list(iter_documents(discover([tmp_path], skipped), skipped, warnings=warnings))
    notes = sorted((w.source, w.reason.split(":")[0]) for w in warnings)
    assert notes == sorted([(str((tmp_path / "n.md").resolve()),
                             "metadata key 'Date Filed' renamed 'Date_Filed'"),
                            ("r1", "metadata key 'a.b' renamed 'a_b'"),
                            ("r1", "metadata key 'fiscal year' renamed 'fiscal_year'"),
                            ("r1", """metadata key 'my"key' renamed 'my_key'"""),
                            ("r1", "metadata 'score' holds nan, which is not a JSON number; "
                                   "dropped")])


def test_documents_from_memory_are_cleaned_and_their_keys_made_filterable() -> None:
    from langchain_core.documents import Document

    from rag_agent.ingest.loaders import SourceDocument, as_source_document

    given = Document("a \ud800 b\x00.", id="d1",
                     metadata={"title": "T\ud83d", "Fiscal Year": 2023})
    doc = as_source_document(given, 0)
    assert (doc.text, doc.title, doc.metadata) == ("a \ufffd b.", "T\ufffd", {"Fiscal_Year": 2023})
    warnings: list[Skipped] = []
    as_source_document(given, 0, warnings)
    assert [w.source for w in warnings] == ["d1"] and "filter on 'Fiscal_Year'" in warnings[0].reason
    given = SourceDocument("s\udcff", "x\x07y", "t")
    cleaned = as_source_document(given, 1)
    assert (cleaned.source_id, cleaned.text, given.text) == ("s\ufffd", "xy", "x\x07y")
    plain = SourceDocument("ok", "Nothing to clean.", "t", {"k": 1})
    assert as_source_document(plain, 2) is plain


def test_caller_metadata_with_a_key_no_filter_can_name_is_refused() -> None:
    from rag_agent.errors import ConfigError
    from rag_agent.ingest.loaders import SourceDocument, with_metadata

    doc = SourceDocument("a", "x", "t")
    with pytest.raises(ConfigError, match="'fiscal year' .* like 'fiscal_year'"):
        with_metadata(doc, {"fiscal year": 2023})
    assert with_metadata(doc, {"year": 2023, "who": "a\x00b"}).metadata == {"year": 2023,
                                                                           "who": "ab"}
