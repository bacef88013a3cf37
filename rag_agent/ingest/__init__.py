"""Loading documents and cutting them into units (the lowest floor above models)."""
