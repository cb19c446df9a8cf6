"""`omnitune train` runs every registered recipe from an English request on a tiny model, offline.

Each case is one real `python -m omnitune train "<English>" --data <user-shaped data> --json` run:
plan → data prepare → worker → registry. Worker start-up (torch/transformers imports) dominates,
so the runs go two at a time in one module fixture and each test asserts its own run's summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import modality_data as data
import pytest

from omnitune.recipes.registry import RECIPES
from omnitune.types import RecipeKey

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PARALLEL = 2  # CI has two cores; each worker runs on one thread
DENOISING = ("eval_loss_before", "eval_loss_after")  # held-out denoising loss at fixed timesteps
FAST_SAMPLES = ("validation_steps_inference=2",)  # the after-training sample image, in 2 denoising steps


@dataclass(frozen=True)
class Case:
    """One English request with the data a user would bring, and what its summary must show."""

    key: str
    request: str
    write: Callable[[Path], Path]
    model: str
    method: str | None = None
    sets: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    falls: tuple[tuple[str, str], ...] = ()  # (before, after) metrics where after < before
    rises: tuple[tuple[str, str], ...] = ()  # (before, after) metrics where after > before
    steps: int = 2
    id: str = ""  # the test id when one recipe has several cases (default: the recipe key)
    pipeline: str | None = None  # the diffusers pipeline class the saved base/ must be

    @property
    def name(self) -> str:
        """The test id and the run's folder."""
        return self.id or self.key


CASES = [
    Case(
        "llm_sft",
        "fine-tune a chat assistant that answers opposites",
        lambda p: data.chat_jsonl(p / "chat.jsonl"),
        "omnitune/tiny-llama",
        "lora",
        falls=(("eval_loss_before", "eval_loss_after"),),
    ),
    Case(
        "llm_preference",
        "align the chat model to our preferences with DPO",
        lambda p: data.preference_jsonl(p / "pref.jsonl"),
        "omnitune/tiny-llama",
        "dpo",
        rises=(("reward_margin_before", "reward_margin_after"),),
    ),
    Case(
        "llm_reward",
        "train a reward model from preference pairs",
        lambda p: data.preference_jsonl(p / "pref.jsonl"),
        "omnitune/tiny-llama",
        "reward_modeling",
        falls=(("reward_loss_before", "reward_loss_after"),),
    ),
    Case(
        "llm_rl",
        "improve the chat model with GRPO reinforcement learning",
        lambda p: data.chat_jsonl(p / "chat.jsonl"),
        "omnitune/tiny-llama",
        "grpo",
        sets=("max_completion_length=8", "num_generations=2", "batch_size=2", "eval_samples=2"),
        present=("heldout_reward_before", "heldout_reward_after"),
    ),
    Case(
        "llm_distill",
        "distill a teacher model into a smaller student",
        lambda p: data.chat_jsonl(p / "chat.jsonl"),
        "omnitune/tiny-llama",
        "distillation",
        sets=("teacher_model=omnitune/tiny-llama",),
        falls=(("student_loss_before", "student_loss_after"),),
        present=("kl_to_teacher_after",),
    ),
    Case(
        "text_classification",
        "classify product reviews as positive or negative",
        lambda p: data.classification_csv(p / "reviews.csv"),
        "omnitune/minilm",
        present=("accuracy_before", "accuracy_after"),
    ),
    Case(
        "text_embeddings",
        "train sentence embeddings for semantic search",
        lambda p: data.pairs_jsonl(p / "pairs.jsonl"),
        "omnitune/minilm",
        "contrastive",
        present=("recall_at_1_before", "recall_at_1_after", "mrr_after"),
    ),
    Case(
        "image_lora",
        "train a LoRA on my images in this style",
        lambda p: data.captioned_pngs(p / "images"),
        "omnitune/tiny-sd",
        "lora",
        sets=FAST_SAMPLES,
        falls=(DENOISING,),
    ),
    Case(
        "image_dreambooth",
        "teach the model my dog with dreambooth using the word sks",
        lambda p: data.captioned_pngs(p / "dog", trigger="sks "),
        "omnitune/tiny-sd",
        "dreambooth",
        sets=(*FAST_SAMPLES, "num_class_images=2", "class_inference_steps=2"),
        falls=(DENOISING,),
        present=("class_images",),
    ),
    Case(
        "image_textual_inversion",
        "learn a new concept token with textual inversion",
        lambda p: data.captioned_pngs(p / "concept"),
        "omnitune/tiny-sd",
        "textual_inversion",
        sets=FAST_SAMPLES,
        present=DENOISING,
    ),
    Case(
        "image_controlnet",
        "train a controlnet on edge maps",
        lambda p: data.controlnet_folder(p / "pairs"),
        "omnitune/tiny-sd",
        "controlnet",
        sets=FAST_SAMPLES,
        falls=(DENOISING,),
    ),
    Case(
        "image_classification",
        "classify photos into red and blue",
        lambda p: data.class_folders(p / "photos"),
        "omnitune/tiny-vit",
        present=("accuracy_before", "accuracy_after"),
    ),
    Case(
        "video_lora",
        "fine-tune a text-to-video model on my clips",
        lambda p: data.captioned_mp4s(p / "clips"),
        "omnitune/tiny-wan",
        "lora",
        falls=(DENOISING,),
    ),
    Case(
        "video_lora",
        "animate my photos into short clips",
        lambda p: data.captioned_mp4s(p / "clips"),
        "omnitune/tiny-wan",
        "lora",
        falls=(DENOISING,),
        id="video_lora-image_to_video",
        pipeline="WanImageToVideoPipeline",
    ),
    Case(
        "video_classification",
        "classify video clips by colour",
        lambda p: data.class_folder_mp4s(p / "clips"),
        "omnitune/tiny-videomae",
        present=("accuracy_before", "accuracy_after"),
    ),
    Case(
        "music_generation",
        "fine-tune a music generation model on my tracks",
        lambda p: data.music_wavs(p / "tracks"),
        "omnitune/tiny-musicgen",
        sets=("sample_seconds=0.5",),
        present=("eval_loss_after",),
    ),
    Case(
        "speech_recognition",
        "train speech recognition on my recordings",
        lambda p: data.speech_wavs(p / "speech"),
        "omnitune/tiny-whisper",
        present=("wer_before", "wer_after"),
    ),
    Case(
        "speech_synthesis",
        "train a text to speech voice from my recordings",
        lambda p: data.speech_wavs(p / "voice"),
        "omnitune/tiny-speecht5",
        falls=(("eval_loss_before", "eval_loss_after"),),
    ),
    Case(
        "audio_classification",
        "classify sounds as low or high",
        lambda p: data.labelled_wavs(p / "sounds"),
        "omnitune/tiny-ast",
        present=("accuracy_before", "accuracy_after"),
    ),
    Case(
        "clip_contrastive",
        "align images and captions for retrieval",
        lambda p: data.captioned_pngs(p / "captioned", count=6),
        "omnitune/tiny-clip",
        present=("image_to_text_recall_at_1_before", "image_to_text_recall_at_1_after"),
    ),
    Case(
        "vlm_sft",
        "answer questions about images with a vision language model",
        lambda p: data.vqa_folder(p / "vqa"),
        "omnitune/tiny-vlm",
        falls=(("eval_loss_before", "eval_loss_after"),),
        present=("answer_accuracy_after",),
    ),
]
# llm_merge merges what llm_sft and llm_preference trained, so it runs after them
MERGE = Case(
    "llm_merge",
    "merge our two fine-tuned chat models into one",
    lambda p: data.chat_jsonl(p / "chat.jsonl"),
    "omnitune/tiny-llama",
    "merging",
)
XFAIL: dict[str, str] = {}


@dataclass
class Run:
    """A finished `omnitune train --json` run."""

    summary: dict[str, Any]
    seconds: float
    output: str


def _train(case: Case, root: Path, *extra: str) -> Run:
    work = root / case.name
    home = work / "home"
    source = case.write(work / "data")
    args = [
        sys.executable,
        "-m",
        "omnitune",
        "train",
        case.request,
        "--data",
        str(source),
        "--base-model",
        case.model,
        "--max-steps",
        str(case.steps),
        "--json",
    ]
    args += ["--method", case.method] if case.method else []
    for item in (*case.sets, *extra):
        args += ["--set", item]
    env = {**os.environ, "OMNITUNE_HOME": str(home), "HF_HUB_OFFLINE": "1", "OMNITUNE_NUM_THREADS": "1"}
    started = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    try:
        summary = json.loads(done.stdout[done.stdout.index("{") :])
    except ValueError:
        summary = {"state": f"no summary (exit {done.returncode})"}
    return Run(summary, seconds, output)


def _selected(session: pytest.Session) -> set[str]:
    keys = set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and isinstance(callspec.params.get("case"), Case):
            keys.add(callspec.params["case"].name)
    return keys


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[Run]]]:
    """Every selected case started through the CLI, two at a time; each test waits for its own."""
    root = tmp_path_factory.mktemp("modalities")
    wanted = _selected(request.session)
    needed = wanted | ({"llm_sft", "llm_preference"} if MERGE.key in wanted else set())
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = {c.name: pool.submit(_train, c, root) for c in CASES if c.name in needed}
        if MERGE.key in wanted:  # queued last, so the runs it merges are already taken by the pool
            futures[MERGE.key] = pool.submit(_merge, futures["llm_sft"], futures["llm_preference"], root)
        yield futures
        for future in futures.values():
            future.cancel()


def _merge(first: Future[Run], second: Future[Run], root: Path) -> Run:
    inputs = [f.result().summary.get("artefact_path") for f in (first, second)]
    return _train(MERGE, root, f"merge_models={json.dumps(inputs)}")


def _params() -> list[Any]:
    return [
        pytest.param(
            c,
            id=c.name,
            marks=[pytest.mark.xfail(strict=True, reason=XFAIL[c.name])] if c.name in XFAIL else [],
        )
        for c in [*CASES, MERGE]
    ]


@pytest.mark.parametrize("case", _params())
def test_recipe_trains_from_english(case: Case, runs: dict[str, Future[Run]]) -> None:
    run = runs[case.name].result()
    print(f"{case.name}: {run.summary.get('state')} in {run.seconds:.0f}s")
    summary = run.summary
    assert summary["state"] == "succeeded", run.output[-3000:]
    assert summary["model_version"], summary
    assert Path(summary["artefact_path"]).exists()
    metrics = summary["metrics"]
    assert metrics, f"{case.key}: no metrics in {summary}"
    for name in case.present:
        assert isinstance(metrics.get(name), int | float), f"{case.key}: {name} missing from {metrics}"
    for before, after in case.falls:
        assert metrics[after] < metrics[before], f"{case.key}: {after} did not fall: {metrics}"
    for before, after in case.rises:
        assert metrics[after] > metrics[before], f"{case.key}: {after} did not rise: {metrics}"
    if case.pipeline:
        index = json.loads((Path(summary["artefact_path"]) / "base" / "model_index.json").read_text())
        assert index["_class_name"] == case.pipeline, index


def test_every_registered_recipe_has_a_case() -> None:
    covered = {c.key for c in [*CASES, MERGE]}
    registered = {k.value for k in RecipeKey if k.value in RECIPES}
    assert registered <= covered, f"no e2e case for {sorted(registered - covered)}"
