"""The server backend: one index in a PostgreSQL database with pgvector.

`RagIndex.open("postgresql://user@host/db")` opens it; everything above the index sees the same
`SearchIndex`. Rows, filters and tenants are SQLite's (`index.db`) with server types
(`pg.connection`), vector search is pgvector's (`pg.search`), keyword search PostgreSQL's full
text (`pg.keyword`). Many processes may read and write one index at once.
"""
