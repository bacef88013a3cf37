"""Retrieval tools over a `RagIndex`: summary-only, sentence-window and routed parent-chunk."""
