import rag_agent


def test_public_api_is_explicit_and_sorted() -> None:
    assert rag_agent.__all__ == sorted(rag_agent.__all__)
    assert rag_agent.__all__ == [
        "Catalogue",
        "ConfigError",
        "Context",
        "FusedRetriever",
        "Hit",
        "IndexConfig",
        "IndexCorruptError",
        "IndexMismatchError",
        "IndexStats",
        "IndexVectorStore",
        "Inference",
        "IngestReport",
        "InvalidFilterError",
        "LLMMetadataExtractor",
        "LLMSummarizer",
        "LangChainEmbedder",
        "MissingExtraError",
        "OfflineExtractor",
        "OfflineTaskClassifier",
        "PathTemplate",
        "RagAgentError",
        "RagIndex",
        "ReadOnlyIndexError",
        "RoutedParentRetriever",
        "SQLiteDocStore",
        "SearchIndex",
        "SentenceTransformerEmbedder",
        "SentenceWindowRetriever",
        "Skipped",
        "SourceDocument",
        "SummaryRetriever",
        "TenantDocStore",
        "build_agent",
        "infer_filter",
        "make_chat_model",
        "make_retrievers",
        "make_tools",
    ]
    for name in rag_agent.__all__:
        assert getattr(rag_agent, name) is not None
