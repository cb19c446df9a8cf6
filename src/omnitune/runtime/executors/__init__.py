"""Executors move a job's worker onto hardware: local (here), later ray, skypilot, modal."""
