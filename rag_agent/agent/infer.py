"""Filter inference with a chat model: structured output over the catalogue, then validated.

The model sees the catalogue's filterable fields with their values and answers in a schema
built from them (function calling). Every proposed value is checked against the catalogue
(values and mined aliases, case-insensitively); anything else is dropped with a trace and is
never applied. A valid proposal that matches no document falls back like the offline one.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, create_model

from rag_agent.agent.llm import call_or_none
from rag_agent.index.catalogue import Catalogue
from rag_agent.index.filters import and_filters
from rag_agent.index.protocol import SearchIndex
from rag_agent.retrieval.autofilter import Inference, filterable_fields

__all__ = ["catalogue_schema", "llm_infer_filter", "validate_proposal"]

SHOWN_VALUES = 40


def catalogue_schema(cat: Catalogue) -> type:
    """A pydantic model with one optional field per filterable catalogue field."""
    fields: dict[str, Any] = {}
    for info in filterable_fields(cat):
        shown = _in_order(info.values)[:SHOWN_VALUES]
        kind: Any = int if info.type == "int" else str
        desc = f"one of: {', '.join(map(str, shown))}" + (" ..." if info.distinct > len(shown)
                                                            else "")
        if info.aliases:
            desc += "; also called: " + "; ".join(
                f"{v} = {', '.join(sorted(info.aliases[v]))}"
                for v in _in_order(info.aliases)[:SHOWN_VALUES])
        fields[info.name] = (kind | None, Field(default=None, description=desc))
    return create_model("MetadataFilter", __doc__="Metadata the question restricts to; leave "
                        "a field empty unless the question names it.", **fields)


def _in_order(values: Any) -> list[Any]:
    """Catalogue values sorted as text (the catalogue's own order can follow set order, which
    changes between processes): the same prompt and the same choice every run."""
    return sorted(values, key=lambda v: (str(v), type(v).__name__))


def _canonical(info: Any, raw: Any) -> Any:
    """The catalogue value `raw` names (value or alias, any case), or None; "Apple" and
    "APPLE" both held: the first in text order."""
    text = str(raw).strip().lower()
    for value in _in_order(info.values):
        if str(value).lower() == text:
            return value
    for value in _in_order(info.aliases):
        if any(n.lower() == text for n in info.aliases[value]):
            return value
    if info.type == "int" and re.fullmatch(r"-?\d+", text):
        return int(text) if int(text) in info.values else None
    return None


def validate_proposal(proposal: dict[str, Any], cat: Catalogue,
                      trace: list[str]) -> dict[str, Any]:
    """The proposal's fields whose values the catalogue holds; the rest dropped with a trace."""
    allowed = {f.name: f for f in filterable_fields(cat)}
    clean: dict[str, Any] = {}
    for name, raw in proposal.items():
        if raw in (None, "", []):
            continue
        info = allowed.get(name)
        if info is None:
            trace.append(f"llm proposed unknown field {name!r}: dropped")
            continue
        value = _canonical(info, raw)
        if value is None:
            trace.append(f"llm proposed {name} = {raw!r}, not a catalogue value: dropped")
            continue
        clean[name] = value
        trace.append(f"llm: {name} = {value!r}")
    return clean


def llm_infer_filter(chat_model: Any, index: SearchIndex, question: str, prompt: str, *,
                     tenant: str, base_filter: dict[str, Any] | None,
                     timeout: float) -> Inference | None:
    """The chat model's validated filter, or None when it gave nothing usable (with why in
    `Inference.trace` of the returned object when it answered at all)."""
    cat = index.catalogue(tenant=tenant)
    schema = catalogue_schema(cat)
    if not schema.model_fields:
        return None
    out, why = call_or_none(  # a model without tool calling fails here too, not the graph
        lambda: chat_model.with_structured_output(schema, method="function_calling").ainvoke(
            prompt.format(question=question)), timeout)
    result = Inference()
    if out is None:
        result.trace.append(f"llm filter unusable ({why or 'no answer'})")
        return result
    raw = out.model_dump() if hasattr(out, "model_dump") else dict(out or {})
    clean = validate_proposal(raw, cat, result.trace)
    if not clean:
        result.trace.append("llm proposed no valid field")
        return result
    if index.count_documents(and_filters(base_filter, clean), tenant=tenant) == 0:
        result.fallback = f"no document matches {clean}; llm filter dropped"
        result.trace.append(result.fallback)
        return result
    result.filter = clean
    return result
