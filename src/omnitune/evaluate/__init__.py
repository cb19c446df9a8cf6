"""Evaluation: metrics per modality, side-by-side comparison, judges, quality gates, reports."""
