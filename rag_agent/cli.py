"""The `rag-agent` command: ingest, stats, delete, search, ask."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rag_agent.errors import RagAgentError
from rag_agent.settings import DEFAULT_TENANT, ENV_INDEX, default_index_dir

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag-agent", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index", type=Path, default=None,
                       help=f"index folder (default: ${ENV_INDEX} or ./.rag_index)")
        p.add_argument("--tenant", default=DEFAULT_TENANT, help="tenant / namespace")

    ingest = sub.add_parser("ingest", help="add files, folders or JSONL records to an index")
    ingest.add_argument("paths", nargs="+", help="files or folders (.txt .md .html .pdf .json .jsonl)")
    common(ingest)
    ingest.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                        help="metadata for every document (repeatable)")
    ingest.add_argument("--encoding", default="utf-8", help="encoding of text files")
    ingest.add_argument("--model", default=None, help="local sentence-transformers model path")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")

    stats = sub.add_parser("stats", help="counts and size of an index")
    common(stats)

    delete = sub.add_parser("delete", help="delete a source and every unit it had")
    delete.add_argument("source", help="source id: a file path as ingested, or a record id")
    common(delete)

    search = sub.add_parser("search", help="raw vector search of one unit kind")
    search.add_argument("query")
    common(search)
    search.add_argument("--kind", choices=["child", "sentence", "summary"], default="child")
    search.add_argument("-k", type=int, default=4)
    search.add_argument("--filter", type=json.loads, default=None, help="JSON metadata filter")
    ask = sub.add_parser("ask", help="ask the agent: task, tool, answer and citations")
    ask.add_argument("question")
    common(ask)
    ask.add_argument("-k", type=int, default=4, help="passages to retrieve")
    ask.add_argument("--filter", type=json.loads, default=None, help="JSON metadata filter")
    ask.add_argument("--stream", action="store_true", help="stream answer tokens (needs an LLM)")
    ask.add_argument("--llm-base-url", default=None,
                     help="OpenAI-compatible endpoint (or $RAG_AGENT_LLM_BASE_URL)")
    ask.add_argument("--llm-model", default=None, help="model name (or $RAG_AGENT_LLM_MODEL)")
    evaluate = sub.add_parser("eval", help="score retrieval strategies on an evaluation set")
    evaluate.add_argument("dataset", choices=["scifact"])
    evaluate.add_argument("--index", type=Path, default=None,
                          help="index of the dataset's corpus (built if empty)")
    evaluate.add_argument("--data", type=Path, default=Path("../shared/data"),
                          help="folder holding the evaluation sets")
    evaluate.add_argument("--quick", action="store_true",
                          help="20 queries over a 300-document slice (a smoke run)")
    evaluate.add_argument("--out", type=Path, default=None, help="write the result as JSON")
    return parser


def _eval(args: argparse.Namespace) -> int:
    from rag_agent.eval.runner import markdown_table, run_scifact

    if not (args.data / args.dataset).is_dir():
        print(f"rag-agent: no {args.dataset} data under {args.data}; pass --data", file=sys.stderr)
        return 2
    result = run_scifact(args.data, args.index, quick=args.quick)
    print(f"{result['dataset']}: {result['queries']} queries")
    print(markdown_table(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _ask(index: object, args: argparse.Namespace) -> int:
    import os

    from rag_agent.agent.graph import build_agent
    from rag_agent.agent.llm import make_chat_model

    chat = None
    if args.llm_base_url or os.environ.get("RAG_AGENT_LLM_BASE_URL") or args.llm_model:
        chat = make_chat_model(args.llm_base_url, args.llm_model)
    agent = build_agent(index, chat)
    context = {"k": args.k, "tenant": args.tenant, "filter": args.filter}
    result: dict = {}
    streamed = False
    if args.stream and chat is not None:
        for mode, data in agent.stream({"question": args.question}, context=context,
                                       stream_mode=["messages", "values"]):
            if mode == "messages":
                chunk, meta = data
                if meta.get("langgraph_node") == "synthesize" and getattr(chunk, "content", ""):
                    print(chunk.content, end="", flush=True)
                    streamed = True
            else:
                result = data
        if streamed:
            print()
    else:
        result = agent.invoke({"question": args.question}, context=context)
    print(f"task: {result.get('task')}  tool: {result.get('tool')}"
          + (f"  targets: {', '.join(result['targets'])}" if result.get("targets") else ""))
    if not streamed:
        print(f"answer: {result.get('answer')}")
    for c in result.get("citations", []):
        print(f"  [{c['n']}] {c['title']} ({c['source_id']})")
    return 0


def _meta(pairs: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RagAgentError(f"--meta {pair!r}: write KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rag_agent.index.store import RagIndex

    folder = args.index or default_index_dir()
    try:
        if args.command == "eval":
            return _eval(args)
        if args.command == "ingest":
            with RagIndex.open(folder, embedder=args.model) as index:
                report = index.add_paths(args.paths, tenant=args.tenant, metadata=_meta(args.meta),
                                         encoding=args.encoding, progress=not args.no_progress)
                if args.json:
                    data = {k: v for k, v in vars(report).items() if k != "acknowledged"}
                    data["skipped"] = [vars(s) for s in report.skipped]
                    print(json.dumps(data, indent=2))
                else:
                    print("\n".join(report.summary_lines()))
                    print("\n".join(index.stats().lines()))
            return 0
        with RagIndex.open(folder, create=False) as index:
            if args.command == "stats":
                print("\n".join(index.stats().lines()))
            elif args.command == "delete":
                removed = index.delete_source(args.source, tenant=args.tenant)
                resolved = str(Path(args.source).resolve())
                if not removed and resolved != args.source:
                    removed = index.delete_source(resolved, tenant=args.tenant)
                if not removed:
                    print(f"no source {args.source!r} in tenant {args.tenant!r}", file=sys.stderr)
                    return 1
                print(f"deleted {args.source}: {removed} units")
            elif args.command == "ask":
                return _ask(index, args)
            elif args.command == "search":
                for hit in index.search(args.query, kind=args.kind, k=args.k, filter=args.filter,
                                        tenant=args.tenant):
                    print(f"{hit.score:.3f}  {hit.title}  [{hit.source_id}]")
                    print(f"       {hit.text[:200]}")
        return 0
    except RagAgentError as exc:
        print(f"rag-agent: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
