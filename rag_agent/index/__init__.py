"""The index: FAISS collections, SQLite docstore, filters and the `RagIndex` that ties them."""
