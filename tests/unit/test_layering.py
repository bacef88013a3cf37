"""The index seam holds: code above `rag_agent.index` reaches an index only through
`SearchIndex`, never through its connection or a private name, and `RagIndex` provides every
member of `SearchIndex` with the same parameters."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from rag_agent.index.protocol import SearchIndex
from rag_agent.index.store import RagIndex

REPO = Path(__file__).resolve().parents[2]
ABOVE_INDEX = sorted(
    [p for p in (REPO / "rag_agent").rglob("*.py") if (REPO / "rag_agent" / "index") not in p.parents]
    + list((REPO / "bench").glob("*.py")) + list((REPO / "graphs").rglob("*.py")))


INDEX_MODULES = sorted((REPO / "rag_agent" / "index").rglob("*.py"))
PUBLIC_UNDERSCORED = {"_replace", "_asdict", "_fields", "_make"}
"""namedtuple's public methods, named with an underscore so as not to clash with fields."""


def reaches_inside(source: str, *, conn: bool = True) -> list[str]:
    """Uses of a connection (unless `conn` is False) or of another object's private name in
    `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rag_agent"):
            found += [f"line {node.lineno}: from {node.module} import {a.name}"
                      for a in node.names if a.name.startswith("_")]
        if isinstance(node, ast.Attribute):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            private = (node.attr.startswith("_") and not node.attr.startswith("__")
                       and node.attr not in PUBLIC_UNDERSCORED)
            if (conn and node.attr == "conn") or private:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_the_check_finds_what_it_forbids() -> None:
    code = ("from rag_agent.retrieval.fused import _UNITS\n"
            "rows = index.conn.execute('SELECT 1')\nindex._queries.clear()\nself._ok = 1\n")
    assert reaches_inside(code) == [
        "line 1: from rag_agent.retrieval.fused import _UNITS", "line 2: index.conn",
        "line 3: index._queries"]


@pytest.mark.parametrize("path", ABOVE_INDEX, ids=lambda p: str(p.relative_to(REPO)))
def test_nothing_above_the_index_reaches_inside_it(path: Path) -> None:
    assert reaches_inside(path.read_text()) == [], (
        f"{path.relative_to(REPO)} reaches inside an object: use a public member of "
        "SearchIndex (rag_agent/index/protocol.py), adding one there if it is missing")


@pytest.mark.parametrize("path", INDEX_MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_of_the_index_calls_another_s_private_names(path: Path) -> None:
    """Inside `rag_agent.index` each owner keeps its state: the connection is shared on
    purpose, private names are not."""
    assert reaches_inside(path.read_text(), conn=False) == [], (
        f"{path.relative_to(REPO)} uses another object's private name: give its owner a "
        "public member for it")


def _members(cls: type) -> list[str]:
    own = [n for n, v in vars(cls).items() if not n.startswith("_") and callable(v)]
    return sorted(own + list(cls.__annotations__))


@pytest.mark.parametrize("name", _members(SearchIndex))
def test_rag_index_provides_every_member_of_the_seam(name: str, tmp_path: Path) -> None:
    seam = getattr(SearchIndex, name, None)
    if seam is None or not callable(seam):  # an attribute: look at an open index
        from langchain_core.embeddings import DeterministicFakeEmbedding

        from rag_agent.models import LangChainEmbedder

        emb = LangChainEmbedder(DeterministicFakeEmbedding(size=8), model_id="fake-8")
        with RagIndex.open(tmp_path / "ix", embedder=emb) as index:
            assert hasattr(index, name), f"RagIndex has no attribute {name!r} of the seam"
        return
    ours = getattr(RagIndex, name)
    want = [(p.name, p.kind) for p in inspect.signature(seam).parameters.values()]
    got = [(p.name, p.kind) for p in inspect.signature(ours).parameters.values()]
    assert got == want, f"RagIndex.{name}{inspect.signature(ours)} differs from the seam"
