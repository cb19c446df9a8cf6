"""`make demo`: the main job, offline on the CPU (run with `python -m omnitune.demo`)."""
