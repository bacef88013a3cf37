from rag_agent.ingest.split import split_document, split_sentences


def words(texts: list[str]) -> list[int]:
    """A stand-in tokenizer: one token a word plus the two special tokens."""
    return [len(t.split()) + 2 for t in texts]


TEXT = (
    "# Title here\n\nDr. Smith went to Washington. He met e.g. the U.S. president at 3 p.m. "
    "today! Was it fun? Yes. The value was 3.5 percent.\n- item one\n- item two\n\n"
    'Another paragraph (with parens). "Quoted start." End'
)


def test_sentences_respect_abbreviations_decimals_and_blocks() -> None:
    got = [s.text for s in split_sentences(TEXT)]
    assert got == [
        "# Title here",
        "Dr. Smith went to Washington.",
        "He met e.g. the U.S. president at 3 p.m. today!",
        "Was it fun?",
        "Yes.",
        "The value was 3.5 percent.",
        "- item one",
        "- item two",
        "Another paragraph (with parens).",
        '"Quoted start."',
        "End",
    ]


def test_sentence_offsets_point_into_the_text() -> None:
    for span in split_sentences(TEXT):
        assert " ".join(TEXT[span.start:span.end].split()) == span.text


def test_long_sentence_is_cut_at_whitespace() -> None:
    text = "word " * 400
    spans = split_sentences(text, max_chars=100)
    assert all(len(s.text) <= 100 for s in spans)
    assert " ".join(s.text for s in spans) == text.strip()


def test_parents_and_children_are_runs_of_whole_sentences() -> None:
    doc = split_document(TEXT, "Doc", words, parent_chars=200, child_tokens=16)
    n = len(doc.sentences)
    assert sorted(set(doc.sentence_child)) == list(range(len(doc.children)))
    assert doc.sentence_child == sorted(doc.sentence_child)
    assert doc.sentence_parent == sorted(doc.sentence_parent)
    for i in range(n):
        assert doc.child_parent[doc.sentence_child[i]] == doc.sentence_parent[i]
    # every child fits the budget once the title header is added
    assert max(words(doc.child_embed_texts)) <= 16
    assert all(t.startswith("Doc\n") for t in doc.child_embed_texts)
    # parents cover the document in order without overlap
    starts = [p.start for p in doc.parents]
    assert starts == sorted(starts) and doc.parents[0].start == 0
    assert all(a.end <= b.start for a, b in zip(doc.parents, doc.parents[1:], strict=False))


def test_oversized_sentence_is_cut_to_fit_children() -> None:
    text = " ".join(f"w{i}" for i in range(100)) + "."
    doc = split_document(text, "", words, child_tokens=20, embed_title=False)
    assert len(doc.children) >= 6
    assert max(words(doc.child_embed_texts)) <= 20
    assert " ".join(s.text for s in doc.sentences) == text


def test_no_title_header_when_disabled() -> None:
    doc = split_document("One. Two.", "T", words, embed_title=False)
    assert doc.child_embed_texts == ["One. Two."]


def test_a_word_ending_in_a_letter_or_unit_still_ends_a_sentence() -> None:
    text = ("HMGB1 induced NF-\u03baB. However, siRNA blocked it. It fell to 1.2 microm2/ms. In "
            "term infants it rose. Smith et al. Found it. See Fig. 2 and J. Smith. The U.S. Army won.")
    assert [s.text for s in split_sentences(text)] == [
        "HMGB1 induced NF-\u03baB.", "However, siRNA blocked it.", "It fell to 1.2 microm2/ms.",
        "In term infants it rose.", "Smith et al. Found it.", "See Fig. 2 and J. Smith.",
        "The U.S. Army won."]


def test_fenced_code_is_its_own_span_and_marked() -> None:
    text = ("Run the tool, and\n```bash\nrag-agent ask \"What is it?\" --index ./ix\n# a comment. "
            "Not prose.\n```\nThen prose follows here.")
    spans = split_sentences(text)
    assert [s.text for s in spans if not s.code] == ["Run the tool, and", "Then prose follows here."]
    assert all(s.code for s in spans if "rag-agent" in s.text or "Not prose" in s.text)


def test_numbered_lines_start_list_items_only_where_markdown_does() -> None:
    wrapped = "SciFact takes about\n40. `make bench` runs all four."
    assert [s.text for s in split_sentences(wrapped)] == [
        "SciFact takes about 40. `make bench` runs all four."]  # not cut at the wrapped "40."
    listed = "Steps:\n1. Install it now.\n2. Run it. Then read.\n3. Done."
    assert [s.text for s in split_sentences(listed)] == [
        "Steps:", "1. Install it now.", "2. Run it.", "Then read.", "3. Done."]
