"""The `rag-agent` command: ingest, stats, check, migrate, catalogue, delete, search, ask,
finetune, eval."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from rag_agent.cli_args import index_location, json_filter, meta_pairs, positive_float, positive_int
from rag_agent.cli_ask import ask, note_unknown_fields
from rag_agent.errors import ConfigError, RagAgentError
from rag_agent.eval.datasets import SPECS
from rag_agent.eval.types import SYSTEMS
from rag_agent.finetune.full import MODEL_EPOCHS
from rag_agent.finetune.offline import DEFAULT_OFFLINE_KIND, OFFLINE_KINDS
from rag_agent.finetune.run import ADAPTER_EPOCHS
from rag_agent.index.protocol import SearchIndex
from rag_agent.ingest.clean import has_words
from rag_agent.models import ENCODERS, encoder_setting, named_encoder
from rag_agent.settings import DEFAULT_TENANT, ENV_INDEX, default_index_dir

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag-agent", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index", type=index_location, default=None,
                       help=f"index folder, or a postgresql:// URL (default: ${ENV_INDEX} or "
                            "./.rag_index)")
        p.add_argument("--tenant", default=DEFAULT_TENANT, help="tenant / namespace")
        p.add_argument("--encoder", choices=ENCODERS, default=None,
                       help="what computes the vectors (default: $RAG_AGENT_ENCODER or torch); "
                            "onnx gives the torch vectors faster per query; onnx-int8 is its "
                            "own model: an index is built and searched with one of them")

    ingest = sub.add_parser("ingest", help="add files, folders or JSONL records to an index")
    ingest.add_argument("paths", nargs="+", help="files or folders (.txt .md .html .pdf .json .jsonl)")
    common(ingest)
    ingest.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                        help="metadata for every document (repeatable)")
    ingest.add_argument("--template", default=None, metavar="PATTERN",
                        help="fields from file names, e.g. '{year} {quarter} {ticker}'")
    ingest.add_argument("--extract", choices=["offline"], default=None,
                        help="extract organizations, reporting period and date from each "
                             "document's opening")
    ingest.add_argument("--encoding", default="utf-8", help="encoding of text files")
    ingest.add_argument("--model", default=None, help="local sentence-transformers model path")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")

    stats = sub.add_parser("stats", help="counts and size of an index")
    common(stats)

    check = sub.add_parser("check", help="verify every invariant of an index (exit 1 if one "
                           "fails); --repair rebuilds what needs no embedding")
    common(check)
    check.add_argument("--repair", action="store_true",
                       help="rebuild the keyword index and FAISS files from SQLite and delete "
                            "orphaned rows, then check again")

    migrate = sub.add_parser("migrate", help="re-embed an older index's sentences under their "
                             "document title (contextual embeddings), atomically")
    common(migrate)
    migrate.add_argument("--no-progress", action="store_true", help="no progress bar")

    catalogue = sub.add_parser("catalogue", help="metadata fields, values, counts and aliases")
    common(catalogue)
    catalogue.add_argument("--json", action="store_true", help="print it as JSON")

    delete = sub.add_parser("delete", help="delete a source and every unit it had")
    delete.add_argument("source", help="source id: a file path as ingested, or a record id")
    common(delete)

    search = sub.add_parser("search", help="raw vector search of one unit kind")
    search.add_argument("query")
    common(search)
    search.add_argument("--kind", choices=["child", "sentence", "summary"], default="child")
    search.add_argument("-k", type=positive_int, default=4)
    search.add_argument("--filter", type=json_filter, default=None, help="JSON metadata filter")
    ask = sub.add_parser("ask", help="ask the agent: task, tool, answer and citations")
    ask.add_argument("question")
    common(ask)
    ask.add_argument("-k", type=positive_int, default=8, help="most passages handed to synthesis")
    ask.add_argument("--budget", type=positive_int, default=4000,
                     help="characters of context handed to synthesis")
    ask.add_argument("--filter", type=json_filter, default=None, help="JSON metadata filter")
    ask.add_argument("--no-auto-filter", action="store_true",
                     help="do not infer a metadata filter from the question")
    ask.add_argument("--stream", action="store_true", help="stream answer tokens (needs an LLM)")
    ask.add_argument("--no-adapter", action="store_true",
                     help="search with the model's own query vector, not the query adapter")
    ask.add_argument("--json", action="store_true",
                     help="print answer, passages with scores, filter trace and notes as JSON")
    ask.add_argument("--llm-base-url", default=None,
                     help="OpenAI-compatible endpoint (or $RAG_AGENT_LLM_BASE_URL)")
    ask.add_argument("--llm-model", default=None, help="model name (or $RAG_AGENT_LLM_MODEL)")
    tune = sub.add_parser("finetune", help="fine-tune the embedding model on labelled queries "
                          "(JSONL of query + source_ids or texts) and re-embed the index with "
                          "it, or (--adapter) train a query adapter: nothing re-embedded")
    common(tune)
    tune.add_argument("--pairs", type=Path, default=None, metavar="FILE",
                      help='JSONL, one {"query": ..., "source_ids": [...]} (or "texts") per line')
    tune.add_argument("--adapter", action="store_true",
                      help="train the query-side adapter instead of the whole model (instant "
                           "to switch, nothing re-embedded)")
    tune.add_argument("--model-encoder", choices=ENCODERS, default=None,
                      help="what re-embeds with and then runs the fine-tuned model (default: "
                           "what runs the index's model now)")
    tune.add_argument("--switch-to", type=Path, default=None, metavar="DIR",
                      help="re-embed the index with the model in DIR and switch to it (e.g. "
                           "the folder an interrupted fine-tune wrote: it resumes)")
    tune.add_argument("--generate", type=positive_int, default=None, metavar="N",
                      help="have the chat model write a question for each of N children "
                           "(spread over the documents; cached in the index, never paid twice)")
    tune.add_argument("--offline", type=positive_int, default=None, metavar="N",
                      help="make N training pairs from the corpus alone (no labels, no chat "
                           "model), spread over the documents")
    tune.add_argument("--offline-kind", choices=OFFLINE_KINDS, default=DEFAULT_OFFLINE_KIND,
                      help="ict: a sentence -> its passage without it; title: a title -> a "
                           "passage; sentence: a sentence -> its own passage (default "
                           f"{DEFAULT_OFFLINE_KIND})")
    tune.add_argument("--llm-base-url", default=None,
                      help="OpenAI-compatible endpoint for --generate (or $RAG_AGENT_LLM_BASE_URL)")
    tune.add_argument("--llm-model", default=None, help="model name (or $RAG_AGENT_LLM_MODEL)")
    tune.add_argument("--minutes", type=positive_float, default=None, help="time budget of training")
    tune.add_argument("--epochs", type=positive_int, default=None,
                      help=f"passes over the pairs (default {MODEL_EPOCHS} for the model, "
                           f"{ADAPTER_EPOCHS} for --adapter)")
    tune.add_argument("--remove-adapter", action="store_true",
                      help="uninstall the query adapter (queries use the model's own vectors)")
    tune.add_argument("--no-progress", action="store_true", help="no progress bar")
    evaluate = sub.add_parser("eval", help="score retrieval strategies on an evaluation set")
    evaluate.add_argument("dataset", choices=list(SPECS))
    evaluate.add_argument("--strategy", action="append", choices=list(SYSTEMS), default=None,
                          help="strategy group to run (repeatable; default: all)")
    evaluate.add_argument("--data", type=Path, default=Path("../shared/data"),
                          help="folder holding the evaluation sets")
    evaluate.add_argument("--workdir", type=Path, default=Path(".rag_eval"),
                          help="where indexes and the embedding cache are kept between runs")
    evaluate.add_argument("--quick", action="store_true",
                          help="a small slice (20 queries at most): a smoke run")
    evaluate.add_argument("--out", type=Path, default=None,
                          help="results folder: <set>.json, <set>.md and PNG plots")
    evaluate.add_argument("--no-plots", action="store_true", help="JSON and Markdown only")
    evaluate.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def _eval(args: argparse.Namespace) -> int:
    from rag_agent.eval.report import markdown, write_report
    from rag_agent.eval.runner import run_eval

    result = run_eval(args.dataset, args.data, workdir=args.workdir,
                      systems=args.strategy or SYSTEMS, quick=args.quick,
                      progress=not args.no_progress)
    print(markdown(result))
    if args.out:
        for path in write_report(result, args.out, plots=not args.no_plots):
            print(f"wrote {path}")
    return 0


def _finetune(index: SearchIndex, args: argparse.Namespace) -> int:
    from rag_agent.finetune import read_labelled, tune_adapter, tune_model

    if args.remove_adapter:
        print("query adapter removed" if index.remove_adapter() else "no query adapter was "
              "installed")
        return 0
    if args.switch_to is not None:
        print("\n".join(index.switch_model(args.switch_to, encoder=args.model_encoder,
                                            progress=not args.no_progress).lines()))
        return 0
    if args.pairs is None and not args.generate and not args.offline:
        raise RagAgentError("give --pairs FILE (JSONL of labelled queries, one "
                            '{"query": ..., "source_ids": [...]} per line), --generate N '
                            "with a chat model and/or --offline N (pairs from the corpus alone)")
    pairs = []
    if args.offline:
        from rag_agent.finetune import offline_pairs

        pairs = offline_pairs(index, args.offline, kind=args.offline_kind, tenant=args.tenant)
        print(f"{len(pairs)} offline pairs ({args.offline_kind}) from the corpus")
    if args.generate:
        from rag_agent.agent.llm import make_chat_model
        from rag_agent.finetune import generate_pairs

        if not (args.llm_base_url or os.environ.get("RAG_AGENT_LLM_BASE_URL")):
            raise RagAgentError("--generate needs a chat model: give --llm-base-url URL (any "
                                "OpenAI-compatible endpoint) or set $RAG_AGENT_LLM_BASE_URL")
        generated, made = generate_pairs(
            index, make_chat_model(args.llm_base_url, args.llm_model), tenant=args.tenant,
            children=args.generate)
        print(f"questions for {made.children} children: {made.asked} asked, {made.cached} "
              f"from the cache, {made.failed} without a usable question; {made.pairs} pairs")
        pairs += generated
    labelled = read_labelled(args.pairs) if args.pairs is not None else []
    if args.adapter:
        run = tune_adapter(index, labelled, pairs=pairs, tenant=args.tenant,
                           minutes=args.minutes, epochs=args.epochs or ADAPTER_EPOCHS,
                           progress=not args.no_progress)[0]
    else:
        run = tune_model(index, labelled, pairs=pairs, tenant=args.tenant, minutes=args.minutes,
                         epochs=args.epochs or MODEL_EPOCHS, encoder=args.model_encoder,
                         progress=not args.no_progress)
    print("\n".join(run.lines()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rag_agent.index.store import RagIndex

    folder = getattr(args, "index", None) or default_index_dir()
    try:
        if args.command == "eval":
            return _eval(args)
        if args.command == "ingest":
            missing = [p for p in args.paths if not Path(p).exists()]
            if missing and len(missing) == len(args.paths):
                print(f"error: no such file or folder: {', '.join(missing)}; nothing was "
                      "ingested and no index was made", file=sys.stderr)
                return 2
            model = named_encoder(args.encoder, args.model) if args.model else None
            with RagIndex.open(folder, embedder=model,
                               encoder=None if model else encoder_setting(args.encoder)) as index:
                report = index.add_paths(args.paths, tenant=args.tenant, metadata=meta_pairs(args.meta),
                                         template=args.template, extract=args.extract,
                                         encoding=args.encoding, progress=not args.no_progress)
                if args.json:
                    data = {k: v for k, v in vars(report).items() if k != "acknowledged"}
                    data["skipped"] = [vars(s) for s in report.skipped]
                    data["warnings"] = [vars(s) for s in report.warnings]
                    print(json.dumps(data, indent=2))
                else:
                    print("\n".join(report.summary_lines()))
                    print("\n".join(index.stats().lines()))
            if missing:  # the rest was ingested; the exit code says not everything was
                print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
                return 1
            return 0
        if args.command == "check":
            return _check(folder, args)
        if args.command == "search" and not has_words(args.query):
            raise ConfigError(f"the query {args.query!r} is empty: search for some words, "
                              "e.g. rag-agent search \"revenue growth\"")
        with RagIndex.open(folder, create=False, encoder=encoder_setting(args.encoder)) as index:
            if args.command == "stats":
                print("\n".join(index.stats().lines()))
            elif args.command == "migrate":
                print("\n".join(index.migrate(progress=not args.no_progress).lines()))
            elif args.command == "catalogue":
                cat = index.catalogue(tenant=args.tenant)
                print(json.dumps(cat.to_dict(), indent=2) if args.json
                      else "\n".join(cat.lines()))
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
                return ask(index, args)
            elif args.command == "finetune":
                return _finetune(index, args)
            elif args.command == "search":
                note_unknown_fields(index, args.filter, args.tenant)
                for hit in index.search(args.query, kind=args.kind, k=args.k, filter=args.filter,
                                        tenant=args.tenant):
                    print(f"{hit.score:.3f}  {hit.title}  [{hit.source_id}]")
                    print(f"       {hit.text[:200]}")
        return 0
    except RagAgentError as exc:
        print(f"rag-agent: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # damage found after opening
        from rag_agent.index.opening import unreadable

        print(f"rag-agent: {unreadable(folder, exc)}", file=sys.stderr)
        return 2


def _check(folder: Path, args: argparse.Namespace) -> int:
    """`rag-agent check`: 0 if every invariant holds, 1 if one fails (also: unreadable)."""
    from rag_agent.errors import IndexCorruptError
    from rag_agent.index.check import check_index, repair_index
    from rag_agent.index.store import RagIndex

    try:
        index = RagIndex.open(folder, create=False, encoder=encoder_setting(args.encoder),
                              read_only=None if args.repair else True)
    except IndexCorruptError as exc:
        print(f"problem: {exc}")
        return 1
    with index:
        report = repair_index(index) if args.repair else check_index(index)
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
