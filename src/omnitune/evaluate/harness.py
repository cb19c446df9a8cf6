"""lm-evaluation-harness tasks on a loaded causal LM, offline: local YAML task configs over local JSONL.

Metrics are named ``TASK.METRIC`` (``TASK.METRIC.FILTER`` for filters other than ``none``), so gates such
as ``tiny_mc.acc >= 0.5`` work on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnitune.evaluate.gates import check_gates
from omnitune.evaluate.language_model import LanguageModel
from omnitune.evaluate.report import EvalReport

INSTALL_HINT = "lm-eval-harness is not installed: pip install 'omnitune[harness]' (or `make install`)"
_SKIP_KEYS = {"alias", "name", "sample_len", " ", ""}


@dataclass
class HarnessOptions:
    """Which tasks, where their YAML configs live, and how many docs per task."""

    tasks: list[str]
    include: Path | None = None
    limit: int | None = None
    batch_size: int = 8
    num_fewshot: int | None = None
    chat_template: bool = False


@dataclass
class HarnessResult:
    """One model's flattened task metrics, documents scored, and how each task was run."""

    metrics: dict[str, float] = field(default_factory=dict)
    documents: int = 0
    runs: dict[str, str] = field(default_factory=dict)


def parse_tasks(specs: list[str]) -> list[str]:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]`` (order kept, duplicates dropped)."""
    names = [name.strip() for spec in specs for name in spec.split(",") if name.strip()]
    return list(dict.fromkeys(names))


def run_harness(model: LanguageModel, options: HarnessOptions, manager: Any = None) -> HarnessResult:
    """Run every task on ``model`` through ``lm_eval.simple_evaluate``; raise naming a task that fails."""
    lm_eval, hflm = _import_lm_eval()
    manager = task_manager(options.tasks, options.include) if manager is None else manager
    lm = hflm(pretrained=model.model, tokenizer=model.tokenizer, batch_size=options.batch_size)
    result = HarnessResult()
    for task in options.tasks:
        with _datasets_offline_when_configured():
            output = _evaluate_task(lm_eval, lm, task, manager, options)
        result.metrics.update(flatten_results(output["results"]))
        effective = sum(int(n.get("effective", 0)) for n in output.get("n-samples", {}).values())
        result.documents += effective
        shots = output.get("n-shot", {}).get(task, options.num_fewshot or 0)
        result.runs[task] = f"lm-eval {_version()}: {effective} docs, {shots}-shot"
    return result


def task_manager(tasks: list[str], include: Path | None) -> Any:
    """A TaskManager over ``include`` alone when it holds every task, else with lm-eval's own tasks too."""
    from lm_eval.tasks import TaskManager

    if include is not None:
        if not include.is_dir():
            raise ValueError(f"--lm-eval-include {include}: not a directory of lm-eval task YAML files")
        local = TaskManager(include_path=str(include), include_defaults=False)
        if all(t in local.all_tasks for t in tasks):
            return local
    manager = TaskManager(include_path=str(include) if include else None)
    missing = [t for t in tasks if t not in manager.all_tasks]
    if missing:
        where = f" in {include} or" if include else ""
        raise ValueError(
            f"--lm-eval: unknown task(s) {', '.join(missing)}{where} among lm-eval's tasks; "
            "check the `task:` names in your YAML files and pass their directory with --lm-eval-include DIR"
        )
    return manager


def flatten_results(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """``{task: {"acc,none": 0.5}}`` -> ``{"task.acc": 0.5}``; non-numeric values (e.g. "N/A") dropped."""
    flat: dict[str, float] = {}
    for task, values in results.items():
        for key, value in values.items():
            metric, _, filter_name = key.partition(",")
            if metric in _SKIP_KEYS or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            suffix = f".{filter_name}" if filter_name and filter_name != "none" else ""
            flat[f"{task}.{metric}{suffix}"] = float(value)
    return flat


def add_harness(
    report: EvalReport,
    model: LanguageModel,
    baseline: LanguageModel | None,
    options: HarnessOptions,
    gates: list[str],
) -> None:
    """Add the task metrics of ``model`` (and ``baseline``) to ``report`` and re-check its gates."""
    _import_lm_eval()
    manager = task_manager(options.tasks, options.include)  # indexing lm-eval's tasks takes seconds: once
    own = run_harness(model, options, manager)
    report.metrics.update(own.metrics)
    report.examples += own.documents
    report.extractors.update(own.runs)
    if baseline is not None:
        report.baseline_metrics.update(run_harness(baseline, options, manager).metrics)
    report.gates = check_gates(gates, report.metrics, report.baseline_metrics if baseline else None)


def evaluate_harness(
    model: LanguageModel, baseline: LanguageModel | None, options: HarnessOptions, gates: list[str]
) -> EvalReport:
    """A report holding only the harness tasks' metrics (no ``--data``)."""
    report = EvalReport(model=model.ref, data="lm-eval: " + ", ".join(options.tasks))
    report.against = baseline.ref if baseline is not None else None
    add_harness(report, model, baseline, options, gates)
    return report


def _evaluate_task(lm_eval: Any, lm: Any, task: str, manager: Any, options: HarnessOptions) -> Any:
    try:
        output = lm_eval.simple_evaluate(
            model=lm, tasks=[task], task_manager=manager, limit=options.limit,
            num_fewshot=options.num_fewshot, apply_chat_template=options.chat_template,
            log_samples=False, bootstrap_iters=1000,
        )  # fmt: skip
    except ConnectionError as exc:  # datasets offline: "Couldn't reach 'owner/name' on the Hub"
        raise ValueError(
            f"lm-eval task {task!r}: {exc}. Its data is not local: a Hub task needs the Hub (set "
            "OMNITUNE_OFFLINE=false, unset HF_HUB_OFFLINE) or its dataset already in the HF_DATASETS cache; "
            "or write a task YAML with `dataset_path: json` and `dataset_kwargs: {data_files: ...}` "
            "pointing at local JSONL and pass its directory with --lm-eval-include DIR"
        ) from None
    except FileNotFoundError as exc:
        raise ValueError(
            f"lm-eval task {task!r}: {exc}; data_files paths are read relative to the working "
            "directory, so give absolute paths in the task YAML"
        ) from None
    if output is None:
        raise ValueError(f"lm-eval task {task!r} returned no results")
    return output


@contextmanager
def _datasets_offline_when_configured() -> Iterator[None]:
    """Make `datasets` refuse the Hub while omnitune is offline (its flag is read once at import)."""
    import datasets.config
    from huggingface_hub import constants

    from omnitune.data.sources import hub_offline

    saved = datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE
    if hub_offline():
        datasets.config.HF_HUB_OFFLINE = constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE = saved


def _import_lm_eval() -> tuple[Any, Any]:
    try:
        import lm_eval
        from lm_eval.models.huggingface import HFLM
    except ImportError:
        raise ValueError(INSTALL_HINT) from None
    return lm_eval, HFLM


def _version() -> str:
    from importlib.metadata import version

    return version("lm_eval")
