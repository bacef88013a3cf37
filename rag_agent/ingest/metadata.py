"""Structured metadata at ingest: a file-name template, an offline extractor, an LLM extractor.

    PathTemplate("{year} {quarter} {ticker}").match("2023 Q3 AAPL.txt")
        -> {"year": 2023, "quarter": "Q3", "ticker": "AAPL"}
    OfflineExtractor()(doc)
        -> {"organizations": ["Apple Inc."], "period_end": "2023-07-01", "period_type": "quarter",
            "year": 2023, "quarter": "Q3"}

Precedence, lowest first: extracted fields, template fields, the file's own fields (front matter,
JSON record fields), then metadata the caller passes. A file the template does not fit, or an
extractor that fails, costs that file its fields (a warning in the report), never its ingestion;
an extracted key no filter could name is renamed or dropped, with a warning
(`rag_agent.ingest.clean.clean_metadata`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from rag_agent.errors import ConfigError
from rag_agent.ingest.clean import clean_metadata
from rag_agent.ingest.documents import Skipped, SourceDocument
from rag_agent.ingest.periods import document_quarter, find_dates, reporting_quarter
from rag_agent.ingest.summarize import run_blocking

__all__ = [
    "LLMMetadataExtractor",
    "MetadataExtractor",
    "OfflineExtractor",
    "PathTemplate",
    "enrich",
    "make_extractors",
    "name_variants",
    "organization_names",
]

OPENING_CHARS = 4_000
"""How much of a document's start the extractors read (cover page, heading, byline)."""
MAX_ORGANIZATIONS = 5
_SUFFIXES = ("Inc", "Incorporated", "Corporation", "Corp", "Company", "Co", "Ltd", "Limited",
             "LLC", "L.L.C", "PLC", "N.V", "S.A", "AG", "SE", "GmbH", "Holdings", "Group",
             "Bank", "University")
_SUFFIX = "(?:" + "|".join(re.escape(v) for s in _SUFFIXES for v in {s, s.upper()}) + r")\b\.?"
_ABBREVIATED = {"inc", "corp", "co", "ltd", "l.l.c", "n.v", "s.a", "plc"}
_GENERIC = {"smaller", "reporting", "emerging", "growth", "holding", "parent", "operating",
            "our", "this", "such", "the", "shell", "accelerated", "large", "filer", "investment",
            "subsidiary", "each", "any", "other", "insurance", "trust"}
_TOKEN = r"(?!" + _SUFFIX + r"\s)[A-Z][A-Za-z0-9&'\-]*(?:\.[A-Za-z]+)*"
_ORG = re.compile(r"\b((?:" + _TOKEN + r"[ \t]+){0,4}" + _TOKEN + r")(?:,?[ \t]+)" + _SUFFIX)
_LEADING = re.compile(r"^(?:The|A|An|Of|And|For|In|By|To)\s+")
_PERIOD_ENDED = re.compile(
    r"\bfor\s+the\s+(?P<kind>quarterly\s+period|quarter|three\s+months|fiscal\s+year|year|"
    r"transition\s+period)\s+ended\s+(?P<rest>.{0,40})", re.I | re.S)


class MetadataExtractor(Protocol):
    """Fields for one document (an empty dict when it finds none)."""

    def __call__(self, doc: SourceDocument) -> dict[str, Any]: ...


class PathTemplate:
    """Named fields out of file names: `{year} {quarter} {ticker}` fits '2023 Q3 AAPL.txt'.

    The template is matched against the file name without its extension, or against the last
    path components when it holds '/' (`{company}/{year}`). Digits-only values become ints.
    """

    def __init__(self, template: str) -> None:
        names = re.findall(r"{([^{}]*)}", template)
        if not names:
            raise ConfigError(f"file-name template {template!r} has no {{field}}; "
                              "write it like '{year} {quarter} {ticker}'")
        stray = re.sub(r"{[^{}]*}", "", template)
        if "{" in stray or "}" in stray:
            raise ConfigError(f"file-name template {template!r} has an unmatched brace; "
                              "close every field, like '{year} {quarter} {ticker}'")
        bad = [n for n in names if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)]
        if bad or len(set(names)) != len(names):
            raise ConfigError(f"file-name template {template!r}: field names must be distinct "
                              f"identifiers (bad: {bad or names})")
        self.template = template
        self.fields = names
        self.depth = template.count("/") + 1
        pattern, pos = "", 0
        for m in re.finditer(r"{([^{}]*)}", template):
            pattern += re.escape(template[pos:m.start()]) + f"(?P<{m.group(1)}>[^/]+?)"
            pos = m.end()
        self._regex = re.compile(pattern + re.escape(template[pos:]) + r"$")

    def match(self, path: str | Path) -> dict[str, Any] | None:
        """The fields of `path`, or None when it does not fit the template."""
        p = Path(path)
        tail = "/".join([*p.parent.parts[-(self.depth - 1):], p.stem] if self.depth > 1
                        else [p.stem])
        m = self._regex.match(tail)
        if m is None:
            return None
        return {k: int(v) if v.isdigit() else v.strip() for k, v in m.groupdict().items()}

    def __repr__(self) -> str:
        return f"PathTemplate({self.template!r})"


def organization_names(text: str, limit: int = MAX_ORGANIZATIONS) -> list[str]:
    """Organization names with a legal-form suffix ("Apple Inc.", "NVIDIA CORPORATION"),
    in order of first appearance, without repeats."""
    names: list[str] = []
    seen: set[str] = set()
    for m in _ORG.finditer(text):
        name = _LEADING.sub("", " ".join(m.group(0).split())).rstrip(",")
        if name.endswith(".") and name.split()[-1].rstrip(".").lower() not in _ABBREVIATED:
            name = name[:-1]  # the sentence's full stop, not part of "Corporation"
        key = name.lower().rstrip(".")
        words = [w.lower() for w in name.split()[:-1]]
        if len(name) > 3 and key not in seen and not all(w in _GENERIC for w in words):
            seen.add(key)
            names.append(name)
            if len(names) >= limit:
                break
    return names


class OfflineExtractor:
    """Organizations, reporting period and date from the opening of a document; no model.

    Fields (each only when found): `organizations` (names with a legal-form suffix),
    `period_end` (ISO date of "for the quarterly period ended ..."), `period_type` (quarter or
    year), `year` and `quarter` ("Q3": the quarter the document calls itself, else the calendar
    quarter its three months mostly cover), and `date` (the first date of the opening, for
    documents with no reporting period).
    """

    def __init__(self, opening_chars: int = OPENING_CHARS) -> None:
        self.opening_chars = opening_chars

    def __call__(self, doc: SourceDocument) -> dict[str, Any]:
        opening = doc.text[: self.opening_chars]
        out: dict[str, Any] = {}
        orgs = organization_names(f"{doc.title}\n{opening}")
        if orgs:
            out["organizations"] = orgs
        ended = _PERIOD_ENDED.search(opening)
        dates = find_dates(ended.group("rest")) if ended else []
        if ended and dates:
            end = dates[0][0]
            kind = ended.group("kind").lower()
            out["period_end"] = end.isoformat()
            out["period_type"] = "year" if "year" in kind else "quarter"
            if out["period_type"] == "quarter":
                year, quarter = document_quarter(doc.text, end) or reporting_quarter(end)
                out["year"], out["quarter"] = year, f"Q{quarter}"
            else:
                out["year"] = end.year
        else:
            first = find_dates(opening)
            if first:
                out["date"] = first[0][0].isoformat()
        return out


_LLM_PROMPT = """Extract the requested fields from the opening of this document. \
Use only what the text states; leave a field empty when the text does not give it.

Title: {title}
---
{opening}
---"""


class LLMMetadataExtractor:
    """Fields of a user's pydantic schema, filled by a chat model from the document's opening.

    The answer is validated against the schema; an invalid or failed answer gives no fields
    (and a warning), never a guess. Answers are cached by schema and text when a `cache`
    (`BaseStore[str, str]`, e.g. the index's) is given, so re-ingesting costs no call.
    """

    def __init__(self, chat_model: Any, schema: type, *, opening_chars: int = OPENING_CHARS,
                 timeout: float = 60.0, cache: Any = None) -> None:
        from pydantic import BaseModel

        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise ConfigError(f"schema must be a pydantic BaseModel class, got {schema!r}")
        self.schema = schema
        self.opening_chars = opening_chars
        self.timeout = timeout
        self.cache = cache
        self.runnable = chat_model.with_structured_output(schema, method="function_calling")
        spec = json.dumps(schema.model_json_schema(), sort_keys=True)
        self._schema_key = hashlib.sha256(spec.encode()).hexdigest()[:16]

    def __call__(self, doc: SourceDocument) -> dict[str, Any]:
        opening = doc.text[: self.opening_chars]
        key = "meta:" + hashlib.sha256(
            f"{self._schema_key}\n{doc.title}\n{opening}".encode()).hexdigest()
        if self.cache is not None:
            hit = self.cache.mget([key])[0]
            if hit is not None:
                return json.loads(hit)
        prompt = _LLM_PROMPT.format(title=doc.title, opening=opening)

        async def ask() -> Any:  # cancelled at the timeout: a hung call holds nothing
            return await asyncio.wait_for(self.runnable.ainvoke(prompt), self.timeout)

        try:
            answer = run_blocking(ask())
        except TimeoutError:
            raise TimeoutError(f"no answer within {self.timeout:g} s") from None
        record = self.schema.model_validate(
            answer.model_dump() if hasattr(answer, "model_dump") else answer)
        fields = {k: _plain(v) for k, v in record.model_dump(exclude_none=True).items()}
        fields = {k: v for k, v in fields.items() if v not in (None, "", [])}
        if self.cache is not None:
            self.cache.mset([(key, json.dumps(fields))])
        return fields


def make_extractors(extract: Any) -> list[Any]:
    """Extractors from `extract`: None, "offline", a callable, or a list of these."""
    items = [] if extract is None else extract if isinstance(extract, (list, tuple)) else [extract]
    for item in items:
        if item != "offline" and not callable(item):
            raise ConfigError(f"extract={item!r}: use 'offline', an LLMMetadataExtractor or a "
                              "callable taking a SourceDocument and returning a dict")
    return [OfflineExtractor() if item == "offline" else item for item in items]


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        return [v for v in items if isinstance(v, (str, int, float, bool))]
    if hasattr(value, "value"):  # enums
        return value.value
    return str(value)


def enrich(
    docs: Iterable[SourceDocument],
    warnings: list[Skipped],
    *,
    template: PathTemplate | str | None = None,
    extractors: Iterable[MetadataExtractor | Callable[[SourceDocument], dict[str, Any]]] = (),
) -> Iterator[SourceDocument]:
    """The documents with template and extracted fields laid under their own metadata."""
    if isinstance(template, str):
        template = PathTemplate(template)
    extractors = list(extractors)
    for doc in docs:
        extra: dict[str, Any] = {}
        for extract in extractors:
            try:
                extra.update(extract(doc))
            except Exception as exc:  # noqa: BLE001 - one document's failure never stops a batch
                warnings.append(Skipped(doc.source_id, f"metadata extractor {_name(extract)} "
                                        f"failed ({type(exc).__name__}: {str(exc)[:200]}); "
                                        "ingested without its fields"))
        if template is not None:
            where = doc.metadata.get("source") or doc.source_id
            fields = template.match(where)
            if fields is None:
                warnings.append(Skipped(doc.source_id, f"file name does not fit template "
                                        f"{template.template!r}; ingested without its fields"))
            else:
                extra.update(fields)
        # an extractor may return any key or value: store only what a filter can use
        extra, notes = clean_metadata(extra)
        warnings.extend(Skipped(doc.source_id, f"extracted {note}") for note in notes)
        doc.metadata = {**extra, **doc.metadata}
        yield doc


def _name(extract: Any) -> str:
    return getattr(extract, "__name__", None) or type(extract).__name__


_STRIP_SUFFIX = re.compile(r",?\s+" + _SUFFIX + r"\s*$")


def name_variants(name: str) -> list[str]:
    """Shorter forms people use for an organization: 'AMAZON.COM, INC.' -> 'AMAZON.COM',
    'AMAZON'; 'Apple Inc.' -> 'Apple'. The full name comes first."""
    out = [name.rstrip(". ").strip()]
    bare = _STRIP_SUFFIX.sub("", name).strip(" ,.")
    if bare and bare not in out:
        out.append(bare)
    web = re.sub(r"\.(?:com|net|org|io)$", "", bare, flags=re.I)
    if web and web not in out:
        out.append(web)
    return out
