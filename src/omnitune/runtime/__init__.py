"""Job runtime: supervisor, worker, events, control, budget meter, executors. Knows nothing about ML."""
