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

from rag_agent.cli_args import meta_pairs
from rag_agent.cli_ask import ask, note_unknown_fields
from rag_agent.cli_parser import build_parser
from rag_agent.errors import ConfigError, RagAgentError
from rag_agent.eval.types import SYSTEMS
from rag_agent.finetune.full import MODEL_EPOCHS
from rag_agent.finetune.run import ADAPTER_EPOCHS
from rag_agent.index.protocol import SearchIndex
from rag_agent.ingest.clean import has_words
from rag_agent.models import encoder_setting, named_encoder
from rag_agent.settings import default_index_dir

__all__ = ["main"]


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
    args = build_parser().parse_args(argv)
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
