"""Fine-tuning retrieval on a user's corpus (issue 12): training pairs (labelled or written
by a chat model) and the query adapter."""

from rag_agent.finetune.adapter import QueryAdapter, train_adapter
from rag_agent.finetune.generate import GenerationReport, generate_pairs
from rag_agent.finetune.pairs import LabelledQuery, Pair, read_labelled, resolve_pairs
from rag_agent.finetune.run import AdapterRun, tune_adapter

__all__ = ["AdapterRun", "GenerationReport", "LabelledQuery", "Pair", "QueryAdapter",
           "generate_pairs", "read_labelled", "resolve_pairs", "train_adapter", "tune_adapter"]
