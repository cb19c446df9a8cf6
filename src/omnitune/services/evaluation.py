"""Use case `omnitune eval`: evaluate a model (registered or not) on data, against a baseline, with gates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from omnitune.evaluate.examples import load_examples
from omnitune.evaluate.gates import gates_from_plan
from omnitune.evaluate.media import is_media
from omnitune.evaluate.report import EvalReport
from omnitune.registry.references import ResolvedModel, resolve_baseline, resolve_model
from omnitune.store import plans

if TYPE_CHECKING:
    from omnitune.evaluate.harness import HarnessOptions


@dataclass
class EvalRequest:
    """What to evaluate and how."""

    model: str
    data: Path | None = None
    against: str | None = None
    gates: list[str] = field(default_factory=list)
    judge: str | None = None
    rubric: str | None = None
    limit: int | None = None
    max_new_tokens: int = 32
    lm_eval: list[str] = field(default_factory=list)  # lm-eval-harness task names (TASK or TASK,TASK)
    lm_eval_include: Path | None = None  # directory of lm-eval task YAML files
    store: bool = True
    clip: str | None = None  # media: CLIP directory for clip_score (else OMNITUNE_CLIP_MODEL)
    features: str | None = None  # media: vision backbone directory for FID/KID and subject similarity
    num_images: int = 2  # image generation: images per prompt
    steps: int | None = None  # image generation: denoising steps (default: the plan's sample steps)
    asr: str | None = None  # speech synthesis: Whisper directory or version that transcribes the speech
    audio_encoder: str | None = None  # FAD: audio encoder directory (else OMNITUNE_AUDIO_ENCODER)
    clap: str | None = None  # music generation: CLAP directory for the text-audio score
    speaker_encoder: str | None = None  # speech synthesis: x-vector / audio encoder for speaker similarity


def evaluate(request: EvalRequest) -> tuple[EvalReport, Path | None]:
    """Run the evaluation; store the report with the version; return it and where it was written."""
    from omnitune.evaluate.harness import add_harness
    from omnitune.evaluate.judge import DEFAULT_RUBRIC, judge_from_spec
    from omnitune.evaluate.language_model import LanguageModel
    from omnitune.evaluate.llm import EvalOptions, evaluate_llm
    from omnitune.registry.evaluations import store_report

    target = resolve_model(request.model)
    harness = _harness_options(request, target)
    if harness is not None and request.data is None:
        return _evaluate_harness(request, target, harness)
    data = request.data or _default_data(target)
    if is_media(target):
        return _evaluate_media(request, target, data)
    examples = load_examples(data, request.limit)
    baseline = resolve_baseline(request.against, target) if request.against else None
    options = EvalOptions(
        max_new_tokens=request.max_new_tokens,
        judge=judge_from_spec(request.judge) if request.judge else None,
        rubric=request.rubric or DEFAULT_RUBRIC,
        gates=[*request.gates, *_plan_gates(target)],
    )
    model = LanguageModel.load(target.label, target.path)
    base = LanguageModel.load(baseline.label, baseline.path) if baseline else None
    report = evaluate_llm(model, examples, baseline=base, options=options, data_label=str(data))
    if harness is not None:
        add_harness(report, model, base, harness, options.gates)
    path = store_report(report, target.version) if request.store else None
    return report, path


def _evaluate_media(
    request: EvalRequest, target: ResolvedModel, data: Path
) -> tuple[EvalReport, Path | None]:
    """A media version (image, audio or video recipe): samples saved beside the stored report."""
    from omnitune.evaluate.audio_embeddings import audio_encoder_path
    from omnitune.evaluate.clip_score import clip_path
    from omnitune.evaluate.media import MediaEvalOptions, evaluate_media
    from omnitune.registry.evaluations import report_directory, store_report

    report_id = EvalReport(model=target.label).id
    options = MediaEvalOptions(
        data=data, samples_dir=report_directory(target.version) / f"{report_id}-samples",
        against=request.against, clip=clip_path(request.clip), features=request.features,
        num_images=request.num_images, steps=request.steps, limit=request.limit,
        max_new_tokens=request.max_new_tokens, gates=[*request.gates, *_plan_gates(target)],
        asr=request.asr, audio_encoder=audio_encoder_path(request.audio_encoder), clap=request.clap,
        speaker_encoder=request.speaker_encoder,
    )  # fmt: skip
    report = evaluate_media(target, options)
    report.id = report_id
    path = store_report(report, target.version) if request.store else None
    return report, path


def _default_data(target: ResolvedModel) -> Path:
    """The validation split of the dataset the version was trained on, when its job recorded it."""
    from omnitune.runtime.jobdir import JobDir
    from omnitune.store import jobs

    if target.version is None or not target.version.job_id:
        raise ValueError(f"{target.label}: give --data PATH (a JSONL file or a prepared dataset directory)")
    job = jobs.get_job(target.version.job_id)
    return Path(JobDir(Path(job.job_dir)).read_spec().data_dir)


def _plan_gates(target: ResolvedModel) -> list[str]:
    if target.version is None or not target.version.plan_id:
        return []
    try:
        return gates_from_plan(plans.get_plan(target.version.plan_id))
    except KeyError:
        return []


def _harness_options(request: EvalRequest, target: ResolvedModel) -> HarnessOptions | None:
    """The lm-eval tasks to run (None without --lm-eval); media models cannot run them."""
    from omnitune.evaluate.harness import HarnessOptions, parse_tasks

    tasks = parse_tasks(request.lm_eval)
    if not tasks:
        return None
    if is_media(target):
        raise ValueError(f"--lm-eval: {target.label} is not a language model; lm-eval tasks score causal LMs")
    return HarnessOptions(tasks=tasks, include=request.lm_eval_include, limit=request.limit)


def _evaluate_harness(
    request: EvalRequest, target: ResolvedModel, harness: HarnessOptions
) -> tuple[EvalReport, Path | None]:
    """Only the lm-eval tasks (no --data): the version and, with --against, its baseline."""
    from omnitune.evaluate.harness import evaluate_harness
    from omnitune.evaluate.language_model import LanguageModel
    from omnitune.registry.evaluations import store_report

    baseline = resolve_baseline(request.against, target) if request.against else None
    model = LanguageModel.load(target.label, target.path)
    base = LanguageModel.load(baseline.label, baseline.path) if baseline else None
    report = evaluate_harness(model, base, harness, [*request.gates, *_plan_gates(target)])
    path = store_report(report, target.version) if request.store else None
    return report, path
