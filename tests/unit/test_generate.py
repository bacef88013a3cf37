"""`rag_agent.finetune.generate`: questions per child from a chat model, cached in the index."""

from pathlib import Path

from langchain_core.messages import AIMessage

from rag_agent import IndexConfig, RagIndex, SourceDocument
from rag_agent.finetune.generate import generate_pairs, questions_of


class Scripted:
    """A chat model that answers every prompt with numbered questions about its title, or fails
    for titles it is told to."""

    model_name = "scripted"

    def __init__(self, fail: set[str] = frozenset()) -> None:
        self.calls: list[str] = []
        self.fail = fail

    async def ainvoke(self, prompt: str) -> AIMessage:
        self.calls.append(prompt)
        title = prompt.split("Title: ", 1)[1].split("\n", 1)[0]
        if title in self.fail:
            raise TimeoutError("slow endpoint")
        return AIMessage(f"1. What does {title} say first?\n2) Why is {title} written?\nok")


def _index(tmp_path: Path, fake_embedder) -> RagIndex:
    ix = RagIndex.open(tmp_path / "ix", embedder=fake_embedder,
                       config=IndexConfig(child_tokens=24))
    text = " ".join(f"Sentence {n} of this document is about item {n}." for n in range(10))
    ix.add_documents([SourceDocument(s, text, s.title(), {}) for s in ("alpha", "beta", "gamma")])
    return ix


def test_questions_are_read_one_per_line_without_markers() -> None:
    reply = "1. Who built the dam?\n- Who built the dam?\n(2) When did it open?\nQ3: ok\n\n"
    assert questions_of(reply, 5) == ["Who built the dam?", "When did it open?"]
    assert questions_of(reply, 1) == ["Who built the dam?"]
    assert questions_of("", 2) == []


def test_each_child_is_asked_once_and_cached(tmp_path: Path, fake_embedder) -> None:
    ix = _index(tmp_path, fake_embedder)
    chat = Scripted()
    pairs, report = generate_pairs(ix, chat, children=4, per_child=2)
    assert (report.children, report.asked, report.cached, report.failed) == (4, 4, 0, 0)
    assert len(chat.calls) == 4 and report.pairs == len(pairs) == 8
    # spread over the documents: every document's first child before any second one
    firsts = {p.source_id for p in pairs[:6]}
    assert firsts == {"alpha", "beta", "gamma"}
    stored = ix.unit_vectors([p.unit_id for p in pairs])
    assert len(stored) == 4  # each pair names the child unit it was written for
    again, second = generate_pairs(ix, chat, children=4, per_child=2)
    assert (second.asked, second.cached) == (0, 4) and len(chat.calls) == 4
    assert again == pairs
    ix.close()


def test_a_failed_call_loses_only_its_child_and_is_retried_later(tmp_path: Path,
                                                                  fake_embedder) -> None:
    ix = _index(tmp_path, fake_embedder)
    pairs, report = generate_pairs(ix, Scripted(fail={"Beta"}), children=3)
    assert report.failed == 1 and {p.source_id for p in pairs} == {"alpha", "gamma"}
    chat = Scripted()
    _, retry = generate_pairs(ix, chat, children=3)
    assert (retry.asked, retry.cached, retry.failed) == (1, 2, 0) and len(chat.calls) == 1
    ix.close()


def test_generated_pairs_train_an_adapter(tmp_path: Path, fake_embedder) -> None:
    from rag_agent.finetune import tune_adapter

    ix = _index(tmp_path, fake_embedder)
    pairs, _ = generate_pairs(ix, Scripted(), children=6, per_child=2)
    run, adapter = tune_adapter(ix, pairs=pairs, epochs=2)
    assert run.installed and run.pairs == len(pairs) == 12 and ix.adapter is adapter
    ix.close()
