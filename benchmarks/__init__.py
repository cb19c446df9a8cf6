"""Side-by-side performance harness: `make bench` (python -m benchmarks.run); see docs/performance.md."""
