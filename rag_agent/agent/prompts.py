"""Default prompts, one per task; each is a `Context` field so it can be edited in Studio."""

__all__ = ["CLASSIFY_PROMPT", "COMPARISON_PROMPT", "FACT_PROMPT", "FILTER_PROMPT",
           "FOLLOW_UP_PROMPT", "SUMMARY_PROMPT", "TARGETS_PROMPT"]

CLASSIFY_PROMPT = (
    "Classify the user's question into one task:\n"
    "- fact: looks up a specific fact, figure, reason, or what someone said\n"
    "- summary: asks to summarize or give the main points of a document or discussion\n"
    "- comparison: compares two or more things, or asks how something changed over time\n"
    "Question: {question}"
)

FILTER_PROMPT = (
    "Which documents does this question ask about? Fill in only the fields the question names "
    "(a company, a year, a quarter...), using the allowed values; leave the others empty.\n"
    "Question: {question}"
)

FOLLOW_UP_PROMPT = (
    "The passages below were found for the question. If answering needs a fact about "
    "something they name but do not explain (a person, place or work), write one short search "
    "query for it; otherwise answer with an empty query.\n\nPassages:\n{context}\n\n"
    "Question: {question}"
)

TARGETS_PROMPT = (
    "List the things this question compares (companies, people, places, periods...), each as "
    "a short name.\nQuestion: {question}"
)

_RULES = (
    "Use only the numbered sources below. Cite every claim with its source number in brackets, "
    "like [1] or [2][3]. If the sources do not contain the answer, say so.\n\n"
    "Sources:\n{context}\n\nQuestion: {question}\nAnswer:"
)

FACT_PROMPT = "Answer the question precisely and briefly. " + _RULES
SUMMARY_PROMPT = "Write a concise summary that answers the request. " + _RULES
COMPARISON_PROMPT = (
    "Compare the targets point by point ({targets}), then state the conclusion. " + _RULES
)
