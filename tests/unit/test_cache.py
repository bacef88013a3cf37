import numpy as np
from langchain_core.embeddings import DeterministicFakeEmbedding

from rag_agent.eval.cache import CachedEmbeddings


class Counting(DeterministicFakeEmbedding):
    calls: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.extend(texts)
        return super().embed_documents(texts)


def test_vectors_are_embedded_once_and_survive_a_reopen(tmp_path) -> None:
    inner = Counting(size=8)
    first = CachedEmbeddings(inner, tmp_path / "cache.sqlite", "fake")
    a = first.embed_documents(["x", "y", "x"])
    assert inner.calls == ["x", "y"] and first.embedded == 2
    again = CachedEmbeddings(inner, tmp_path / "cache.sqlite", "fake")
    b = again.embed_documents(["y", "x", "z"])
    assert inner.calls == ["x", "y", "z"] and again.embedded == 1
    np.testing.assert_allclose(a[0], b[1], rtol=1e-6)
    other_model = CachedEmbeddings(inner, tmp_path / "cache.sqlite", "another")
    other_model.embed_documents(["x"])
    assert inner.calls[-1] == "x"  # the cache is keyed by model too


def test_remembered_query_vectors_are_served() -> None:
    import tempfile
    from pathlib import Path

    cache = CachedEmbeddings(Counting(size=4), Path(tempfile.mkdtemp()) / "c.sqlite", "fake")
    cache.remember_query("q", np.array([[1.0, 0.0, 0.0, 0.0]], dtype=np.float32))
    assert cache.embed_query("q") == [1.0, 0.0, 0.0, 0.0]
    assert cache.embed_query("other") != [1.0, 0.0, 0.0, 0.0]
