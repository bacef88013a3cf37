"""`split_sentences`: where sentences begin and end, with their offsets."""

from rag_agent.ingest.sentences import split_sentences

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
