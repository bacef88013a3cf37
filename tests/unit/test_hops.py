from langchain_core.documents import Document

from rag_agent.retrieval.hops import TitleMatcher, bare_title, title_hop


def test_titles_are_matched_as_named_in_text() -> None:
    m = TitleMatcher(["Kiss and Tell (1945 film)", "Shirley Temple", "Tell", "it", "the band"])
    text = "Kiss and Tell is a 1945 comedy film starring then 17-year-old Shirley Temple."
    assert m.named(text) == ["Kiss and Tell (1945 film)", "Shirley Temple"]
    assert bare_title("Kiss and Tell (1945 film)") == "Kiss and Tell"
    assert m.named("she said it to the band") == []  # short and lower-case titles name nothing


class _Retriever:
    """Returns one passage of the titled document, scored by a table."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.calls: list[dict] = []

    def invoke(self, query: str, k: int, filter: dict) -> list[Document]:
        self.calls.append(filter)
        title = filter["title"] if "title" in filter else filter["$and"][1]["title"]
        return [Document(page_content=f"about {title}", id=title,
                         metadata={"title": title, "score": self.scores.get(title, 0.0)})]


def test_the_hop_adds_the_best_named_document_right_after_the_passage_naming_it() -> None:
    first = [Document(page_content="Kiss and Tell stars Shirley Temple and Jerome Courtland.",
                      id="film", metadata={"title": "Kiss and Tell (1945 film)"}),
             Document(page_content="Another film.", id="other", metadata={"title": "Other"})]
    matcher = TitleMatcher(["Kiss and Tell (1945 film)", "Shirley Temple", "Jerome Courtland",
                            "Other"])
    retriever = _Retriever({"Shirley Temple": 0.6, "Jerome Courtland": 0.2})
    question = "What position was held by the woman who portrayed Corliss Archer in Kiss and Tell?"
    docs, hop = title_hop(retriever, question, first, matcher, {}, base_filter={"lang": "en"})
    assert [d.id for d in docs] == ["film", "Shirley Temple", "other"]
    assert hop.found == ["Shirley Temple"]
    assert hop.named["film"] == ["Shirley Temple", "Jerome Courtland"]
    assert all("$and" in f for f in retriever.calls)  # the caller's filter is kept


def test_a_name_read_as_several_titles_gives_each_in_a_fixed_order() -> None:
    titles = ["Kiss and Tell (1998 film)", "Kiss and Tell (1945 film)", "Tell Tale"]
    for order in (titles, titles[::-1]):
        assert TitleMatcher(order).named("She starred in Kiss and Tell, a comedy.") == [
            "Kiss and Tell (1945 film)", "Kiss and Tell (1998 film)"]
