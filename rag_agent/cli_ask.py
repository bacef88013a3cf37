"""The `rag-agent ask` command: run the agent, print its answer and everything that led to it
(passages with scores, the filter trace, hops, notes), or all of it as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rag_agent.index.protocol import SearchIndex

__all__ = ["ask", "note_unknown_fields"]


def ask(index: SearchIndex, args: argparse.Namespace) -> int:
    """Run the agent on `args.question` and print its answer and what led to it.

    Raises:
        ConfigError: the question has no word in it (the command exits with 2).
    """
    import os

    from langchain_core.messages import AIMessageChunk

    from rag_agent.agent.conversation import has_words
    from rag_agent.agent.graph import build_agent
    from rag_agent.agent.llm import make_chat_model
    from rag_agent.errors import ConfigError

    if not has_words(args.question):
        raise ConfigError(f"the question {args.question!r} is empty: ask about something in "
                          "the index, e.g. rag-agent ask \"What does the report say about "
                          "revenue?\"")
    chat = None
    if args.llm_base_url or os.environ.get("RAG_AGENT_LLM_BASE_URL") or args.llm_model:
        chat = make_chat_model(args.llm_base_url, args.llm_model)
        problem = _unreachable(str(getattr(chat, "openai_api_base", None) or ""))
        if problem:
            print(f"note: the chat model's endpoint does not answer ({problem}); "
                  "answering offline", file=sys.stderr)
            chat = None
    agent = build_agent(index, chat)
    note_unknown_fields(index, args.filter, args.tenant)
    context = {"k": args.k, "budget_chars": args.budget, "tenant": args.tenant,
               "filter": args.filter,
               "auto_filter": not args.no_auto_filter,
               "adapter": False if args.no_adapter else None}
    result: dict = {}
    streamed = False
    if args.stream and chat is not None:
        for mode, data in agent.stream({"question": args.question}, context=context,
                                       stream_mode=["messages", "values"]):
            if mode == "messages":
                chunk, meta = data
                # tokens arrive as chunks; the finished answer message (appended to the
                # state's `messages`) is streamed once more, whole: not printed twice
                if meta.get("langgraph_node") == "synthesize" and \
                        isinstance(chunk, AIMessageChunk) and chunk.content:
                    print(chunk.content, end="", flush=True)
                    streamed = True
            else:
                result = data
        if streamed:
            print()
    else:
        result = agent.invoke({"question": args.question}, context=context)
    if args.stream and chat is None:
        print("note: --stream needs a chat model (--llm-base-url or $RAG_AGENT_LLM_BASE_URL); "
              "the offline answer is printed whole", file=sys.stderr)
    if args.json:
        print(json.dumps(_ask_record(result), indent=2, default=str))
        return 0
    print(f"task: {result.get('task')}  tool: {result.get('tool')}"
          + (f"  targets: {', '.join(result['targets'])}" if result.get("targets") else ""))
    if not streamed:
        print(f"answer: {result.get('answer')}")
    for c in result.get("citations", []):
        print(f"  [{c['n']}] {c['title']} ({c['source_id']})")
    record = _ask_record(result)
    if record["passages"]:
        print("passages:")
    for p in record["passages"]:
        score = f"{p['score']:.3f}" if isinstance(p["score"], float) else "  -  "
        print(f"  {p['n']:>2}. {score}  {p['title']}  {p['text'][:100]!r}")
    if result.get("inferred_filter"):
        print(f"inferred filter: {json.dumps(result['inferred_filter'])}")
    for line in result.get("filter_trace") or []:
        print(f"  filter: {line}")
    for hop in record["hops"]:
        print(f"hop: {hop.get('via')}: found {', '.join(hop.get('found') or []) or 'nothing'}")
    for note in result.get("notes") or []:
        print(f"note: {note}")
    return 0


def _unreachable(base_url: str, timeout: float = 3.0) -> str | None:
    """Why an OpenAI-compatible endpoint cannot be reached, or None if it answers at all
    (any HTTP status is an answer). Asked once, so a dead port costs seconds, not every
    call's retries."""
    import urllib.error
    import urllib.request

    if not base_url:
        return None  # the client library's own default endpoint: nothing to probe here
    url = base_url.rstrip("/") + "/models"
    try:
        urllib.request.urlopen(url, timeout=timeout).close()  # noqa: S310 - the user's URL
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"{url}: {getattr(exc, 'reason', exc)}"
    return None


def _ask_record(result: dict[str, Any]) -> dict[str, Any]:
    """What `ask --json` prints: the answer, and everything that led to it."""
    passages = []
    for n, doc in enumerate(result.get("passages") or [], 1):
        meta = doc.metadata
        score = meta.get("score") if meta.get("score") is not None else meta.get("fused")
        passages.append({"n": n, "title": meta.get("title"), "source_id": meta.get("source_id"),
                         "score": float(score) if score is not None else None,
                         "target": meta.get("target") or None, "text": doc.page_content})
    keys = ("task", "shape", "tool", "targets", "answer", "citations", "inferred_filter",
            "filter_trace", "filter_fallback", "notes")
    return {**{k: result.get(k) for k in keys}, "passages": passages,
            "hops": list(result.get("hops") or [])}


def note_unknown_fields(index: SearchIndex, flt: dict[str, Any] | None, tenant: str) -> None:
    """Say so when a filter names a field no document of the tenant has (it matches nothing)."""
    catalogue = index.catalogue(tenant=tenant)
    known, unknown = catalogue.fields, catalogue.unknown_fields(flt)
    if unknown:
        print(f"note: no document of tenant {tenant!r} has field(s) {', '.join(unknown)}; "
              f"fields: {', '.join(sorted(known)) or 'none'} (rag-agent catalogue lists them)",
              file=sys.stderr)
