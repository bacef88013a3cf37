"""The hop node: a chat model's follow-up query first, the offline title hop when it fails."""

from types import SimpleNamespace

from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from rag_agent.agent.classify import OfflineTaskClassifier
from rag_agent.agent.context import Context
from rag_agent.agent.llm import FollowUp
from rag_agent.agent.nodes import AgentNodes
from rag_agent.index.store import RagIndex
from rag_agent.ingest.loaders import SourceDocument
from rag_agent.models import LangChainEmbedder
from tests.unit.fakes import FakeChat

DOCS = [
    SourceDocument("film", "Kiss and Tell is a 1945 film starring Shirley Temple as Corliss "
                           "Archer. It was a hit.", "Kiss and Tell (1945 film)", {}),
    SourceDocument("actress", "Shirley Temple was an actress. She later served as Chief of "
                              "Protocol of the United States.", "Shirley Temple", {}),
    SourceDocument("other", "The harbour froze in 1902. Ships waited outside for weeks.",
                   "Avalon harbour", {}),
]
QUESTION = ("What government position was held by the woman who portrayed Corliss Archer in "
            "the film Kiss and Tell?")


def _nodes(tmp_path, chat) -> AgentNodes:
    embedder = LangChainEmbedder(DeterministicFakeEmbedding(size=32), model_id="fake-32")
    index = RagIndex.open(tmp_path / "ix", embedder=embedder)
    index.add_documents(DOCS)
    return AgentNodes(index, OfflineTaskClassifier(embedder, cache=False), chat)


def _first_hop(nodes: AgentNodes) -> list[Document]:
    film = [d for d in nodes.fused({"question": QUESTION, "task": "fact"},
                                   SimpleNamespace(context=Context()))["documents"]
            if d.metadata["title"].startswith("Kiss")]
    return film


def test_offline_hop_follows_the_title_the_first_passage_names(tmp_path) -> None:
    nodes = _nodes(tmp_path, None)
    state = {"question": QUESTION, "task": "fact", "documents": _first_hop(nodes)}
    out = nodes.hop(state, SimpleNamespace(context=Context()))
    (hop,) = out["hops"]
    assert hop["via"] == "titles named in passages" and hop["found"] == ["Shirley Temple"]
    assert [d.metadata["title"] for d in out["documents"]][:2] == [
        "Kiss and Tell (1945 film)", "Shirley Temple"]
    nodes.index.close()


def test_a_chat_model_writes_the_follow_up_query(tmp_path) -> None:
    chat = FakeChat(lambda schema: FollowUp(query="Shirley Temple government position"))
    nodes = _nodes(tmp_path, chat)
    state = {"question": QUESTION, "task": "fact", "documents": _first_hop(nodes)}
    out = nodes.hop(state, SimpleNamespace(context=Context()))
    (hop,) = out["hops"]
    assert hop == {"via": "follow-up query", "query": "Shirley Temple government position",
                   "found": hop["found"]}
    assert chat.schemas == [FollowUp] and "Corliss Archer" in chat.runnable.prompts[0]
    assert "Shirley Temple" in hop["found"]
    nodes.index.close()


def test_a_failing_chat_model_falls_back_to_the_title_hop(tmp_path) -> None:
    nodes = _nodes(tmp_path, FakeChat(RuntimeError("endpoint down")))
    state = {"question": QUESTION, "task": "fact", "documents": _first_hop(nodes)}
    out = nodes.hop(state, SimpleNamespace(context=Context()))
    assert out["hops"][0]["via"] == "titles named in passages"
    assert any("llm follow-up unusable" in n for n in out["notes"])
    off = nodes.hop(state, SimpleNamespace(context=Context(max_hops=0)))
    assert off["hops"] == [{"via": "none", "query": "", "found": [], "why": "max_hops is 0"}]
    nodes.index.close()
