"""Fused retrieval: documents ranked by all their representations, then passages from the best.

Stage 1 ranks documents by the sum of several normalized scores of the same question: their
summaries, their best children and their best sentences by dense similarity, and (when a word
of the question is rare among the documents) their best children by BM25. A document that
every representation puts near the top comes first; one found by a single representation
still gets in.

Stage 2 reads the stored sentences of each top document and takes its densest regions of
matching sentences (`rag_agent.retrieval.regions`) as passages of about `region_chars`
characters, or (`passage="parent"`) the parent of its best child. Passages are handed out
document by document: the best passage of every top document first, then the second ones, so
the first k passages span as many good documents as they can, and a question scoped to one long
document gets its k best regions of that document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from langchain_core.documents import Document

from rag_agent.index.protocol import SearchIndex
from rag_agent.retrieval.base import IndexRetriever
from rag_agent.retrieval.regions import dense_regions

__all__ = ["SIGNALS", "UNITS_PER_DOC", "FusedRetriever", "rank_documents"]

Signal = Literal["summary", "child", "sentence", "child_keyword", "sentence_keyword"]
SIGNALS: tuple[Signal, ...] = ("summary", "child", "sentence", "child_keyword",
                               "sentence_keyword")
UNITS_PER_DOC = {"summary": 1, "child": 3, "sentence": 6, "child_keyword": 3,
                  "sentence_keyword": 6}
"""Units fetched per wanted document, so that each ranking reaches about `depth` documents."""
HITS_PER_DOC = 40
"""Best children read per document to pick its parents."""
KEYWORD_SIGNALS = ("child_keyword",)
"""Keyword rankings added to the dense ones when the question has a rare word."""
KEYWORD_WEIGHT = 0.3
"""Weight of a sentence's BM25 score (normalized within its document) added to its cosine
when regions are placed (set by exploratory dev runs that are not in bench/ yet: see the
open note on issue 10)."""
KEYWORD_HITS = 2000
"""Most keyword-matching sentences read across the documents."""


def rank_documents(index: SearchIndex, query: str, vector: Any, *, signals: Sequence[str], depth: int,
                   filter: dict[str, Any] | None, tenant: str,
                   doc_ids: Sequence[str] | None = None) -> list[tuple[str, float, Any]]:
    """(doc id, fused score, best dense hit or None) of up to `depth` documents, best first.

    Each signal scores a document by its best unit; scores are divided by the signal's best
    score among its `depth` documents and summed (CombSUM). Dividing by the maximum, unlike
    min-max scaling, leaves a ranking whose scores barely differ (a keyword list over
    near-duplicate filings) nearly flat, so it cannot outvote the others with noise.
    """
    fused: dict[str, float] = {}
    first: dict[str, Any] = {}
    for signal in signals:
        kind, _, mode = signal.partition("_")
        k = depth * UNITS_PER_DOC[signal]
        if mode == "keyword":
            hits = index.keyword_search(query, kind=kind, k=k, filter=filter, tenant=tenant,
                                        doc_ids=doc_ids)
        else:
            hits = index.search(vector, kind=kind, k=k, filter=filter, tenant=tenant,
                                doc_ids=doc_ids)
        best: dict[str, float] = {}
        for hit in hits:
            if hit.doc_id not in best and len(best) < depth:
                best[hit.doc_id] = hit.score
                if mode != "keyword":
                    first.setdefault(hit.doc_id, hit)
        top = max(best.values(), default=0.0)
        for doc_id, score in best.items():
            fused[doc_id] = fused.get(doc_id, 0.0) + (score / top if top > 0 else 0.0)
    order = sorted(fused, key=lambda d: (-fused[d], d))[:depth]
    return [(d, fused[d], first.get(d)) for d in order]


class FusedRetriever(IndexRetriever):
    """k passages from the documents that all representations rank best (see module doc)."""

    signals: tuple[str, ...] = ("summary", "child", "sentence")
    """Dense rankings fused to order documents (`SIGNALS`)."""
    keyword: Literal["rare", "always", "never"] = "rare"
    """When children's BM25 ranking joins them: "rare" when a word of the question is held
    by at most `rare_share` of the documents (a word that rare tells documents apart; in a
    collection of near-duplicates no word does), "always", or "never". `hybrid=True` on a
    call means "always"."""
    rare_share: float = 0.02
    """See `keyword`."""
    rank_depth: int = 100
    """Documents each representation ranks (deeper lists let a document that one
    representation misses still be found by the others; 100 over 10 lifted 10-Q recall@4 in
    an exploratory dev run not yet in bench/, see the open note on issue 10)."""
    passage: Literal["region", "parent"] = "region"
    """Dense regions of matching sentences, or the parent of the best child."""
    region_chars: int = 1500
    """Characters of each region (when `region_budget` is None)."""
    region_budget: int | None = None
    """Characters the regions share (the context budget). When set, each region gets
    `region_budget // min(region_share, documents ranked x regions_per_doc)`: a question
    scoped to one document gets one region as long as the budget, one over many documents a
    share for each of the best."""
    region_share: int = 1
    """Regions the budget is cut into at most (see `region_budget`)."""
    regions_per_doc: int = 1
    """Most passages taken from one document."""
    child_context: bool = True
    """Regions judge each sentence by the mean of its cosine and its child's, so that a short
    sentence is read with the text around it (QMSum topic-summary span coverage@4k 0.266 ->
    0.293 in the policy runs; whole-document summaries turn it off)."""

    def _retrieve(self, query: str, k: int, flt: dict[str, Any] | None, tenant: str,
                  hybrid: bool, adapter: bool | None) -> list[Document]:
        if k <= 0:
            return []
        vec = self.index.embed_query(query, adapter=adapter)
        signals = list(self.signals)
        if hybrid or self.uses_keyword(query, tenant):
            signals += [s for s in KEYWORD_SIGNALS if s not in signals]
        ranked = rank_documents(self.index, query, vec, signals=signals,
                                depth=max(self.rank_depth, 1), filter=flt, tenant=tenant)
        docs = ranked[:max(k, 1)]  # round one gives each document at most one of the k
        fused = {d: f for d, f, _ in docs}
        if self.passage == "parent":
            per_doc = self._parents([d for d, _, _ in docs], vec, tenant)
        else:
            per_doc = self._regions([d for d, _, _ in docs], query, vec, tenant,
                                    self._region_size(len(docs)))
        out: list[Document] = []
        for round_ in range(self.regions_per_doc):
            out += [p[round_] for p in per_doc if len(p) > round_]
        for doc in out:
            doc.metadata["fused"] = fused.get(doc.metadata.get("doc_id"))
            doc.metadata["ranked_by"] = "+".join(signals)
        return out[:k]

    def _region_size(self, documents: int) -> int:
        """Characters of each region when `documents` documents give passages."""
        if self.region_budget is None:
            return self.region_chars
        pieces = max(1, min(self.region_share, documents * self.regions_per_doc))
        return max(200, self.region_budget // pieces)

    def uses_keyword(self, query: str, tenant: str) -> bool:
        """Whether the children's BM25 ranking joins for this query (see `keyword`)."""
        if self.keyword != "rare":
            return self.keyword == "always"
        share = self.index.rarest_word_share(query, tenant=tenant)
        return share is not None and share <= self.rare_share

    def _parents(self, doc_ids: list[str], vec: Any, tenant: str) -> list[list[Document]]:
        """Per document, the parents of its best children (at most `regions_per_doc`)."""
        if not doc_ids:
            return []
        hits = self.index.search(vec, kind="child", k=HITS_PER_DOC * len(doc_ids),
                                 doc_ids=doc_ids, tenant=tenant)
        best: dict[str, list[Any]] = {d: [] for d in doc_ids}
        for hit in hits:
            chosen = best[hit.doc_id]
            if len(chosen) < self.regions_per_doc and all(h.parent_id != hit.parent_id
                                                          for h in chosen):
                chosen.append(hit)
        wanted = [h for d in doc_ids for h in best[d]]
        parents = dict(zip([h.parent_id for h in wanted],
                           self.index.docstore_for(tenant).mget(
                               [h.parent_id for h in wanted]), strict=True))
        out = []
        for d in doc_ids:
            docs = []
            for hit in best[d]:
                parent = parents.get(hit.parent_id)
                if parent is not None:
                    parent.metadata.update({"score": hit.score, "kind": "parent",
                                            "matched_child": hit.text})
                    docs.append(parent)
            out.append(docs)
        return out

    def _regions(self, doc_ids: list[str], query: str, vec: Any, tenant: str,
                 region_chars: int) -> list[list[Document]]:
        """Per document, its densest regions of matching sentences, best first.

        Every sentence of the documents is scored against the question in one exact pass
        (with `child_context`, averaged with its child's cosine; plus, scaled by
        `KEYWORD_WEIGHT`, its BM25 score normalized within the document), so a long meeting
        is read as a whole, not by its few best hits."""
        if not doc_ids:
            return []
        dense = self.index.sentence_scores(vec, doc_ids, tenant=tenant)
        around = (self.index.sentence_child_scores(vec, doc_ids, tenant=tenant)
                  if self.child_context else {})
        lengths = self.index.sentence_lengths(doc_ids, tenant=tenant)
        keyword: dict[str, dict[int, float]] = {}
        for hit in self.index.keyword_search(query, kind="sentence", k=KEYWORD_HITS,
                                             doc_ids=doc_ids, tenant=tenant):
            keyword.setdefault(hit.doc_id, {})[hit.position] = hit.score
        out = []
        for d in doc_ids:
            scores, sizes = dense.get(d), lengths.get(d)
            if scores is None or sizes is None or not len(sizes):
                out.append([])
                continue
            cosine = scores.astype(np.float64)[:len(sizes)]
            scores = cosine.copy()
            child = around.get(d)
            if child is not None and len(child) >= len(scores):
                scores = (scores + child[:len(scores)]) / 2
            found = keyword.get(d)
            if found:
                top = max(found.values()) or 1.0
                for position, value in found.items():
                    if position < len(scores):
                        scores[position] += KEYWORD_WEIGHT * value / top
            regions = dense_regions(scores, sizes.tolist(),
                                    region_chars * self.regions_per_doc,
                                    max_regions=self.regions_per_doc)
            out.append([self._region_document(d, r, scores, cosine, tenant) for r in regions])
        return out

    def _region_document(self, doc_id: str, region: Any, scores: np.ndarray,
                         cosine: np.ndarray, tenant: str) -> Document:
        """The region as a passage; its `score` is the cosine of its best sentence."""
        best = max(range(region.first, region.last + 1), key=lambda i: scores[i])
        rows = self.index.sentences(doc_id, region.first, region.last, tenant=tenant)
        meta = self.index.document_meta(doc_id, tenant=tenant)
        text = " ".join(t for _, t in rows)
        matched = next((t for p, t in rows if p == best), rows[0][1] if rows else "")
        last = rows[-1][0] if rows else region.last
        return Document(page_content=text, id=f"{doc_id}:s{region.first}-{last}", metadata={
            **meta, "kind": "region", "score": float(cosine[best]), "doc_id": doc_id,
            "position": best, "window_start": region.first, "window_end": last,
            "matched_sentence": matched})
