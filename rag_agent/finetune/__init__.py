"""Fine-tuning retrieval on a user's corpus (issue 12): training pairs (labelled, written by a
chat model, or made from the corpus alone), the query adapter, and the full fine-tune of the
embedding model."""

from rag_agent.finetune.adapter import QueryAdapter, train_adapter
from rag_agent.finetune.full import ModelRun, tune_model
from rag_agent.finetune.generate import GenerationReport, generate_pairs
from rag_agent.finetune.model import TrainingExample, train_model
from rag_agent.finetune.offline import OFFLINE_KINDS, offline_pairs
from rag_agent.finetune.pairs import LabelledQuery, Pair, read_labelled, resolve_pairs
from rag_agent.finetune.run import AdapterRun, tune_adapter

__all__ = ["OFFLINE_KINDS", "AdapterRun", "GenerationReport", "LabelledQuery", "ModelRun", "Pair",
           "QueryAdapter", "TrainingExample", "generate_pairs", "offline_pairs", "read_labelled",
           "resolve_pairs", "train_adapter", "train_model", "tune_adapter", "tune_model"]
