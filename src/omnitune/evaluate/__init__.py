"""Evaluation: metrics, comparison, quality gates."""
