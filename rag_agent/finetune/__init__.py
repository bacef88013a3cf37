"""Fine-tuning the embedder on a user's corpus (issue 12): training pairs so far."""
