"""Job runtime: supervisor, worker, events, checkpoints, budget."""
