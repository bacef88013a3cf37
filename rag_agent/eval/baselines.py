"""The baselines a user of the stock libraries would write, on the same embedding model.

Each builder returns a `System`: its strategies (name -> `Retrieve`), how many texts it embedded
and `save(folder)`, which writes the built index so the cost benchmark can measure its size
(writing only: nothing is ever loaded back). Every library is imported inside its builder, so
this module costs nothing without the `bench` extra.

Scoped queries (`EvalQuery.scope`, a non-empty tuple of document keys) are answered inside those
documents only, by each library's own metadata filter where it has one. An empty scope means no
scope, as in `rag_agent.eval.ours`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langchain_core.embeddings import Embeddings

from rag_agent.errors import ConfigError, MissingExtraError
from rag_agent.eval.types import CorpusDoc, EvalQuery, Passage, Retrieve

__all__ = [
    "BM25_NAME",
    "LANGCHAIN_NAME",
    "LLAMA_VECTOR_NAME",
    "LLAMA_WINDOW_NAME",
    "System",
    "build_bm25",
    "build_langchain",
    "build_llamaindex",
]

LANGCHAIN_NAME = "LangChain: RecursiveCharacterTextSplitter(1000, 200) + FAISS"
BM25_NAME = "BM25 (bm25s) over the same chunks"
LLAMA_VECTOR_NAME = "LlamaIndex: VectorStoreIndex (SentenceSplitter 1024/200)"
LLAMA_WINDOW_NAME = "LlamaIndex: SentenceWindowNodeParser (w=3) + MetadataReplacementPostProcessor"
EXTRA = "bench"


@dataclass(frozen=True)
class System:
    """A built baseline: its strategies and what the cost benchmark measures."""

    name: str
    strategies: dict[str, Retrieve]
    embedded: int
    """Texts passed to the embedding model while building (0 for BM25)."""
    save: Callable[[Path], None]
    """Writes the built index into a folder (created if missing), to measure its size."""


@dataclass(frozen=True)
class _Chunk:
    content: str
    """What is embedded or indexed: the splitter's chunk of `title + "\\n" + text`."""
    passage: Passage


def _scope(query: EvalQuery) -> list[str] | None:
    return list(query.scope) if query.scope else None


def _chunks(docs: Sequence[CorpusDoc], chunk_size: int, chunk_overlap: int) -> list[_Chunk]:
    """Stock `RecursiveCharacterTextSplitter` chunks of `title + "\\n" + text` per document.

    A passage is the part of its chunk that lies in `CorpusDoc.text`, so that
    `doc.text[start:end] == passage.text` always holds: the title line is embedded and indexed
    but left out of passages. In a document longer than a chunk the splitter cuts at that "\\n",
    so the title becomes a chunk of its own: that passage is the title, with no offsets.
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size, chunk_overlap=chunk_overlap, add_start_index=True)
    chunks: list[_Chunk] = []
    for doc in docs:
        prefix = len(doc.title) + 1 if doc.title else 0
        full = f"{doc.title}\n{doc.text}" if doc.title else doc.text
        for piece in splitter.create_documents([full]):
            content, at = piece.page_content, piece.metadata["start_index"]
            start, end = at - prefix, at - prefix + len(content)
            if at < 0 or end <= 0:
                passage = Passage(doc.key, content)
            else:
                passage = Passage(doc.key, content[max(0, -start):], max(0, start), end)
            chunks.append(_Chunk(content, passage))
    if not chunks:
        raise ConfigError(f"no text to index in {len(docs)} documents; pass a non-empty corpus")
    return chunks


def build_langchain(docs: Sequence[CorpusDoc], embeddings: Embeddings,
                    chunk_size: int = 1000, chunk_overlap: int = 200) -> System:
    """`RecursiveCharacterTextSplitter` + `FAISS.from_documents`, as the LangChain docs teach.

    Each document is split as `title + "\\n" + text` (see `_chunks` for the passage offsets).
    Scoped queries use FAISS's metadata filter with `fetch_k` = every vector, so that they
    measure retrieval quality, not stock FAISS's post-filtering coming back short.
    """
    try:
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document
    except ImportError as exc:
        raise MissingExtraError("the LangChain FAISS baseline", EXTRA) from exc
    chunks = _chunks(docs, chunk_size, chunk_overlap)
    store = FAISS.from_documents(
        [Document(page_content=c.content, metadata={"key": c.passage.key, "chunk": i})
         for i, c in enumerate(chunks)], embeddings)

    def retrieve(query: EvalQuery, k: int) -> list[Passage]:
        keys = _scope(query)
        if keys is None:
            found = store.similarity_search(query.text, k=k)
        else:
            flt = {"key": keys[0]} if len(keys) == 1 else {"key": {"$in": keys}}
            found = store.similarity_search(query.text, k=k, filter=flt,
                                            fetch_k=store.index.ntotal)
        return [chunks[d.metadata["chunk"]].passage for d in found]

    return System(LANGCHAIN_NAME, {LANGCHAIN_NAME: retrieve}, len(chunks),
                  lambda folder: store.save_local(str(folder)))


def build_bm25(docs: Sequence[CorpusDoc], chunk_size: int = 1000,
               chunk_overlap: int = 200) -> System:
    """bm25s (English stopwords, no stemming) over the same chunks as `build_langchain`.

    Every chunk is scored (`BM25.get_scores_from_ids`) and ranked, scoped queries among their
    documents' chunks only; chunks sharing no term with the query follow with score 0, as
    `BM25.retrieve` returns them.
    """
    try:
        import bm25s
        import numpy as np
    except ImportError as exc:
        raise MissingExtraError("the BM25 baseline", EXTRA) from exc
    chunks = _chunks(docs, chunk_size, chunk_overlap)
    bm25 = bm25s.BM25()
    bm25.index(bm25s.tokenize([c.content for c in chunks], stopwords="en", show_progress=False),
               show_progress=False)
    keys = np.array([c.passage.key for c in chunks], dtype=object)

    def retrieve(query: EvalQuery, k: int) -> list[Passage]:
        tokens = bm25s.tokenize([query.text], stopwords="en", return_ids=False,
                                show_progress=False)[0]
        ids = bm25.get_tokens_ids(tokens)
        scores = bm25.get_scores_from_ids(ids) if ids else np.zeros(len(chunks))
        scope = _scope(query)
        rows = np.arange(len(chunks)) if scope is None else np.flatnonzero(np.isin(keys, scope))
        best = rows[np.argsort(-scores[rows], kind="stable")[:k]]
        return [chunks[i].passage for i in best]

    def save(folder: Path) -> None:
        corpus = [{"key": c.passage.key, "text": c.content} for c in chunks]
        bm25.save(str(folder), corpus=corpus, show_progress=False)

    return System(BM25_NAME, {BM25_NAME: retrieve}, 0, save)


LlamaStrategy = Literal["vector", "window"]


def build_llamaindex(docs: Sequence[CorpusDoc], embeddings: Embeddings,
                     strategies: Iterable[LlamaStrategy] = ("vector", "window"),
                     embed_batch_size: int = 32) -> System:
    """LlamaIndex as its docs teach, with `embeddings` wrapped in `LangchainEmbedding`.

    `"vector"`: `VectorStoreIndex.from_documents` with the default `SentenceSplitter` (1024
    tokens, overlap 200), passages with LlamaIndex's own offsets into `CorpusDoc.text`.
    `"window"`: single sentences from `SentenceWindowNodeParser` (window_size=3) embedded, the
    window swapped in by `MetadataReplacementPostProcessor`; window passages have no offsets.
    Documents carry `{"key", "title"}` metadata; LlamaIndex prepends the title to every embedded
    text (its default) and our "key" is excluded. Nothing is downloaded: llama-index-core ships
    tiktoken's cl100k_base and NLTK's punkt_tab/stopwords (`llama_index/core/_static`), used
    unless TIKTOKEN_CACHE_DIR or NLTK_DATA point elsewhere. `embed_model` is passed explicitly,
    so the global `Settings` (OpenAI by default) is never consulted. `embedded` counts both
    indexes; `save` writes each into a subfolder named after it.
    """
    try:
        from llama_index.core import Document, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter, SentenceWindowNodeParser
        from llama_index.core.postprocessor import MetadataReplacementPostProcessor
        from llama_index.core.schema import MetadataMode
        from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters
        from llama_index.embeddings.langchain import LangchainEmbedding
    except ImportError as exc:
        raise MissingExtraError("the LlamaIndex baselines", EXTRA) from exc
    wanted = list(dict.fromkeys(strategies))
    if not wanted or set(wanted) - {"vector", "window"}:
        raise ConfigError(f"strategies must be 'vector' and/or 'window', got {wanted!r}")
    # LangchainEmbedding would take a non-string `.model` attribute (ours) for its model name.
    name = getattr(embeddings, "model_id", None) or getattr(embeddings, "model_name", None)
    embed = LangchainEmbedding(embeddings, embed_batch_size=embed_batch_size,
                               model_name=name if isinstance(name, str) else type(embeddings).__name__)
    texts = {d.key: d.text for d in docs}

    def documents() -> list[Any]:
        # Fresh objects per index: node parsers extend the excluded-key lists they copy.
        return [Document(text=d.text, id_=d.key, metadata={"key": d.key, "title": d.title},
                         excluded_embed_metadata_keys=["key"], excluded_llm_metadata_keys=["key"])
                for d in docs]

    def filters(query: EvalQuery) -> Any:
        keys = _scope(query)
        if keys is None:
            return None
        if len(keys) == 1:
            return MetadataFilters(filters=[MetadataFilter(key="key", value=keys[0])])
        return MetadataFilters(
            filters=[MetadataFilter(key="key", value=keys, operator=FilterOperator.IN)])

    def as_passage(node: Any, offsets: bool) -> Passage:
        key, text = node.metadata["key"], node.get_content(metadata_mode=MetadataMode.NONE)
        start, end = node.start_char_idx, node.end_char_idx
        if offsets and start is not None and end is not None and texts[key][start:end] == text:
            return Passage(key, text, start, end)
        return Passage(key, text)

    indexes: dict[str, Any] = {}
    found: dict[str, Retrieve] = {}
    if "vector" in wanted:
        vector = VectorStoreIndex.from_documents(
            documents(), transformations=[SentenceSplitter()], embed_model=embed)
        indexes["vector"] = vector

        def retrieve_vector(query: EvalQuery, k: int) -> list[Passage]:
            hits = vector.as_retriever(similarity_top_k=k, filters=filters(query)).retrieve(
                query.text)
            return [as_passage(h.node, offsets=True) for h in hits]

        found[LLAMA_VECTOR_NAME] = retrieve_vector
    if "window" in wanted:
        parser = SentenceWindowNodeParser.from_defaults(
            window_size=3, window_metadata_key="window", original_text_metadata_key="original_text")
        window = VectorStoreIndex(parser.get_nodes_from_documents(documents()), embed_model=embed)
        indexes["window"] = window
        replace = MetadataReplacementPostProcessor(target_metadata_key="window")

        def retrieve_window(query: EvalQuery, k: int) -> list[Passage]:
            hits = window.as_retriever(similarity_top_k=k, filters=filters(query)).retrieve(
                query.text)
            hits = replace.postprocess_nodes(hits, query_str=query.text)
            return [as_passage(h.node, offsets=False) for h in hits]

        found[LLAMA_WINDOW_NAME] = retrieve_window

    def save(folder: Path) -> None:
        for part, index in indexes.items():
            index.storage_context.persist(persist_dir=str(Path(folder) / part))

    embedded = sum(len(index.index_struct.nodes_dict) for index in indexes.values())
    return System("LlamaIndex", found, embedded, save)
