"""The grammar of the `rag-agent` command: subcommands, options and their help; what each
command does is in `rag_agent.cli`."""

from __future__ import annotations

import argparse
from pathlib import Path

from rag_agent.cli_args import index_location, json_filter, positive_float, positive_int
from rag_agent.eval.datasets import SPECS
from rag_agent.eval.types import SYSTEMS
from rag_agent.finetune.full import MODEL_EPOCHS
from rag_agent.finetune.offline import DEFAULT_OFFLINE_KIND, OFFLINE_KINDS
from rag_agent.finetune.run import ADAPTER_EPOCHS
from rag_agent.models import ENCODERS
from rag_agent.settings import DEFAULT_TENANT, ENV_INDEX

__all__ = ["DESCRIPTION", "build_parser"]

DESCRIPTION = ("The `rag-agent` command: ingest, stats, check, migrate, catalogue, delete, "
               "search, ask, finetune, eval.")


def build_parser() -> argparse.ArgumentParser:
    """The `rag-agent` command line: its subcommands and their options."""
    parser = argparse.ArgumentParser(prog="rag-agent", description=DESCRIPTION)
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
