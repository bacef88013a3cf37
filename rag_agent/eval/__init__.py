"""Evaluation: datasets, ranking metrics and runners (issue 4; in progress)."""
