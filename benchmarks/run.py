"""Run the benchmarks side by side and write results/<name>.json plus results/summary.md.

Run: HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.run [--quick | --full | --smoke] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import importlib
import os
import tempfile
import time
import traceback
from pathlib import Path

from benchmarks.common import PROFILES, RESULTS_DIR, BenchResult, machine
from benchmarks.fixtures import build_workspace
from benchmarks.report import load_results, table, write_summary

# In the order they matter; each module has run(profile, workspace, shared) -> BenchResult.
BENCHMARKS = (
    "train_throughput",
    "loop_overhead",
    "utilisation",
    "first_step",
    "planner",
    "data_prep",
    "memory",
    "gpu",
    "api",
)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    for name in PROFILES:
        size.add_argument(f"--{name}", dest="profile", action="store_const", const=name)
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these benchmarks")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder")
    parser.set_defaults(profile="quick")
    return parser.parse_args(argv)


def run_one(name: str, profile_name: str, workspace: object, shared: dict[str, object]) -> BenchResult:
    """One benchmark; a failure becomes a result that says what broke rather than stopping the rest."""
    module = importlib.import_module(f"benchmarks.{name}")
    started = time.perf_counter()
    try:
        result: BenchResult = module.run(PROFILES[profile_name], workspace, shared)
    except Exception as err:
        traceback.print_exc()
        result = BenchResult(name=name, title=name, skipped=f"FAILED: {type(err).__name__}: {err}"[:300])
    result.seconds = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> list[BenchResult]:
    """Run the selected benchmarks on one shared workspace; print and write the results."""
    args = parse(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # no tokenizer threads against torch's
    profile, started = PROFILES[args.profile], time.perf_counter()
    results: list[BenchResult] = []
    shared: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="omnitune-bench-") as tmp:
        os.environ["OMNITUNE_HOME"] = str(Path(tmp) / "home")
        workspace = build_workspace(Path(tmp), profile.train_records, profile.model)
        for name in args.only or BENCHMARKS:
            print(f"== {name} ({profile.name})", flush=True)
            result = run_one(name, profile.name, workspace, shared)
            result.write(args.out)
            results.append(result)
            print(table([result.to_json()]), flush=True)
    everything = load_results(BENCHMARKS, args.out)
    summary = write_summary(everything, machine(), profile.name, args.out)
    print(f"\n{table(everything)}\n\nwritten: {args.out}/*.json, {summary}")
    print(f"{len(results)} benchmark(s) in {time.perf_counter() - started:.0f} s ({profile.name})")
    return results


if __name__ == "__main__":
    main()
