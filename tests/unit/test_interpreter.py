"""The offline interpreter: explicit values, references, semantic fallback, eval scores, no torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from omnitune.plan.evaluation import evaluate
from omnitune.plan.extract import extract_explicit
from omnitune.plan.interpreter import interpret
from omnitune.types import Method, Modality, Task

ASSETS = Path(__file__).parents[1] / "assets"


def test_explicit_values_are_extracted() -> None:
    found = extract_explicit(
        "train on 2x A100 80GB under $1.5k, 48 kHz 24-bit, 30 fps, 32k context, 4K, ./d.jsonl"
    )
    assert (found.gpu, found.gpu_count, found.budget_usd) == ("a100-80gb", 2, 1500)
    assert (found.sample_rate, found.bit_depth, found.fps, found.context_length) == (48000, 24, 30, 32768)
    assert found.resolution == "3840x2160" and found.data_path == "./d.jsonl"
    assert extract_explicit("5-minute songs").duration_s == 300
    assert extract_explicit("finish training in 3 hours").duration_s is None
    assert extract_explicit("finish training in 3 hours").time_limit_h == 3
    assert extract_explicit("on a 16GB GPU").gpu == "t4"


@pytest.mark.parametrize(
    ("text", "modality", "task"),
    [
        ("an image generator as good as Midjourney", Modality.IMAGE, Task.TEXT_TO_IMAGE),
        ("our own ElevenLabs", Modality.AUDIO, Task.VOICE_CLONING),
        ("like Sora for product ads", Modality.VIDEO, Task.TEXT_TO_VIDEO),
        ("Suno for lullabies", Modality.AUDIO, Task.MUSIC_GENERATION),
    ],
)
def test_product_references_map_to_capabilities(text: str, modality: Modality, task: Task) -> None:
    it = interpret(text, semantic=False)
    assert it.modality is modality and task in it.tasks and it.references


def test_named_models_methods_and_sizes_are_recognised() -> None:
    it = interpret("QLoRA Qwen2.5 14B on legal contracts", semantic=False)
    assert it.method is Method.QLORA and it.base_model == "qwen2.5-14b-instruct"
    assert (
        interpret("fine-tune whisper large-v3 on call audio", semantic=False).base_model == "whisper-large-v3"
    )
    assert interpret("FLUX schnell LoRA of my logo", semantic=False).base_model == "flux.1-schnell"
    assert interpret("clips of cats in a video clip", semantic=False).base_model is None  # 'clip' is not CLIP


def test_semantic_matching_understands_phrasings_no_rule_lists() -> None:
    it = interpret("turn my long quarterly reports into one-paragraph overviews")
    assert it.modality is Modality.LLM and Task.SUMMARIZATION in it.tasks


def test_rules_only_interpretation_stays_cheap_and_confident() -> None:
    it = interpret("sentiment classifier for app store reviews")
    assert not it.semantic_used and it.tasks[0] is Task.TEXT_CLASSIFICATION


@pytest.mark.parametrize("name", ["intents-public.jsonl", "intents-heldout.jsonl"])
def test_eval_scores(name: str) -> None:
    score = evaluate(ASSETS / name)
    public = name == "intents-public.jsonl"
    assert score.rate("modality") >= (1.0 if public else 0.9), score.misses
    assert score.rate("task") >= (1.0 if public else 0.85), score.misses
    assert score.rate("method") == 1.0, score.misses
    for flag in ("vague", "unrealistic", "pipeline"):
        assert score.rate(flag) >= (1.0 if public else 0.95), score.misses


def test_import_and_planning_do_not_import_torch() -> None:
    code = (
        "import sys\nimport omnitune.plan\nassert 'torch' not in sys.modules\n"
        "from omnitune.plan import build_plan\n"
        "p = build_plan('LoRA fine-tune Qwen2.5 7B on my instruction dataset')\n"
        "p = build_plan('teach SDXL my cat so I can put her in any scene')\n"
        "p = build_plan('turn my long quarterly reports into one-paragraph overviews')\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_warm_rules_planning_is_fast() -> None:
    import statistics
    import time

    from omnitune.plan import build_plan

    lines = (ASSETS / "intents-public.jsonl").read_text().splitlines()[:10]
    requests = [json.loads(line)["text"] for line in lines]
    for text in requests:
        build_plan(text)  # warm caches
    times = []
    for text in requests:
        started = time.perf_counter()
        build_plan(text)
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.1  # ~5 ms idle; generous for loaded CI machines


@pytest.mark.slow
def test_numpy_minilm_matches_sentence_transformers() -> None:
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import SentenceTransformer

    from omnitune.plan.minilm import NumpyMiniLM
    from omnitune.plan.semantic import embedder_path

    path = embedder_path()
    assert path is not None
    texts = ["turn my reports into short overviews", "a VLM that describes X-ray images", "hi"]
    ours = NumpyMiniLM(path).encode(texts)
    reference = SentenceTransformer(path, device="cpu").encode(texts, normalize_embeddings=True)
    assert (ours * reference).sum(1).min() > 0.9999


def test_shipped_task_embeddings_match_the_lexicon() -> None:
    from omnitune.plan.semantic import BUNDLED_DIR, all_phrasings, embedder_path, phrasings_digest

    path = embedder_path()
    assert path is not None
    name = f"tasks-{phrasings_digest(all_phrasings(), path)}.npy"
    assert (BUNDLED_DIR / name).exists(), "lexicon changed: run python -m omnitune.plan.semantic"
