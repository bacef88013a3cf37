import rag_agent


def test_public_api_is_explicit_and_sorted() -> None:
    assert rag_agent.__all__ == sorted(rag_agent.__all__)
    assert rag_agent.__all__ == [
        "ConfigError",
        "Hit",
        "IndexConfig",
        "IndexMismatchError",
        "IndexStats",
        "IngestReport",
        "InvalidFilterError",
        "LLMSummarizer",
        "LangChainEmbedder",
        "MissingExtraError",
        "RagAgentError",
        "RagIndex",
        "SQLiteDocStore",
        "SentenceTransformerEmbedder",
        "Skipped",
        "SourceDocument",
    ]
    for name in rag_agent.__all__:
        assert getattr(rag_agent, name) is not None
