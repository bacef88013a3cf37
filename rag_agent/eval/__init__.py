"""Evaluation harness: datasets, metrics, our strategies and stock baselines, runner, report."""
