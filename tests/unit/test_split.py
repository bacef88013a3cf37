from rag_agent.ingest.split import split_document


def words(texts: list[str]) -> list[int]:
    """A stand-in tokenizer: one token a word plus the two special tokens."""
    return [len(t.split()) + 2 for t in texts]


TEXT = (
    "# Title here\n\nDr. Smith went to Washington. He met e.g. the U.S. president at 3 p.m. "
    "today! Was it fun? Yes. The value was 3.5 percent.\n- item one\n- item two\n\n"
    'Another paragraph (with parens). "Quoted start." End'
)


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
