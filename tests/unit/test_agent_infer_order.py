"""What the chat model is shown of the catalogue, and which value its answer names, do not
follow the catalogue's own order (built from sets: it changes between processes)."""

from __future__ import annotations

from rag_agent.agent.infer import catalogue_schema, validate_proposal
from rag_agent.index.catalogue import Catalogue, FieldInfo


def _catalogue(reverse: bool) -> Catalogue:
    values = {"Apple Inc.": 2, "APPLE INC.": 1, "Microsoft": 2}
    aliases = {"Apple Inc.": ["Apple", "apple inc"], "Microsoft": ["MSFT corp", "Microsoft Corp"]}
    if reverse:
        values = dict(reversed(values.items()))
        aliases = {v: names[::-1] for v, names in reversed(aliases.items())}
    info = FieldInfo("company", "str", 5, values, aliases)
    return Catalogue("default", 5, 1, {"company": info})


def test_the_schema_and_the_chosen_value_are_the_same_in_any_catalogue_order() -> None:
    schemas = [catalogue_schema(_catalogue(r)).model_json_schema() for r in (False, True)]
    assert schemas[0] == schemas[1]
    chosen = [validate_proposal({"company": "apple inc."}, _catalogue(r), []) for r in (False, True)]
    assert chosen == [{"company": "APPLE INC."}] * 2  # both spellings held: text order decides
