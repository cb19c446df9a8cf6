"""build_plan end to end on the rules path: overrides, vague, unrealistic, pipelines, CPU, data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omnitune.plan import TrainingPlan, build_plan
from omnitune.plan.feasibility import UNREALISTIC
from omnitune.types import Method, Modality, PipelineType, Preset, Task


def test_a_plain_request_gets_a_complete_validated_plan() -> None:
    plan = build_plan("LoRA fine-tune Qwen2.5 7B on my instruction dataset")
    assert TrainingPlan.model_validate_json(plan.to_json()) == plan
    assert (
        plan.capabilities.modality is Modality.LLM and plan.capabilities.tasks[0] is Task.INSTRUCTION_TUNING
    )
    model = plan.models[0]
    assert (model.base_model, model.method, model.recipe) == ("qwen2.5-7b-instruct", Method.LORA, "llm_sft")
    assert plan.estimates.peak_vram_gb > 0 and plan.estimates.cost_usd.total > 0
    assert plan.steps[0].kind.value == "install" and plan.steps[-1].kind.value == "deploy"
    assert plan.training.gpu.type != "cpu" and plan.feasibility.ok


def test_explicit_arguments_override_the_text() -> None:
    plan = build_plan(
        "LoRA fine-tune Qwen2.5 7B",
        base_model="mistral-7b-instruct-v0.3",
        method="qlora",
        gpu="RTX 3090",
        budget_usd=5,
        preset="maximum_speed",
    )
    assert plan.models[0].base_model == "mistral-7b-instruct-v0.3" and plan.models[0].method is Method.QLORA
    assert plan.training.gpu.type == "rtx-3090" and plan.training.budget_usd == 5
    assert plan.training.preset is Preset.MAXIMUM_SPEED


def test_text_mentions_end_up_in_the_plan() -> None:
    plan = build_plan("DreamBooth SDXL on my dog at 1024x1024 on an A100 80GB with a $20 budget")
    assert plan.models[0].method is Method.DREAMBOOTH and plan.models[0].base_model == "sdxl-base-1.0"
    assert plan.capabilities.quality.resolution == "1024x1024"
    assert plan.training.gpu.type == "a100-80gb" and plan.training.budget_usd == 20
    hp = plan.training.hyperparameters
    assert hp["instance_prompt"] == "a photo of sks dog" and hp["class_prompt"] == "a photo of dog"
    assert hp["class_noun"] == "dog" and hp["prior_preservation"] is True


def test_dreambooth_without_a_named_subject_keeps_no_template_braces() -> None:
    hp = build_plan("DreamBooth SDXL on these photos").training.hyperparameters
    assert not any("{" in str(v) for v in hp.values()), hp


@pytest.mark.parametrize("text", ["improve it", "train a model", "make it better"])
def test_vague_requests_ask_instead_of_guessing(text: str) -> None:
    plan = build_plan(text)
    assert plan.capabilities.modality is None and not plan.models
    assert len(plan.questions) >= 3 and not plan.feasibility.ok and plan.feasibility.problems


def test_unrealistic_requests_are_planned_flagged_and_given_alternatives() -> None:
    plan = build_plan("full fine-tune Llama 3.1 70B on a single RTX 4090")
    assert (
        plan.models[0].method is Method.FULL_FINETUNE
        and plan.models[0].base_model == "llama-3.1-70b-instruct"
    )
    assert any(w.startswith(UNREALISTIC) for w in plan.warnings)
    assert any("qlora" in a or "lora" in a for a in plan.alternatives) and not plan.feasibility.ok
    film = build_plan("a 2-hour film in 8K from one prompt")
    assert any("720p" in w for w in film.warnings) and film.alternatives


def test_memory_shortage_adjusts_the_preset_with_one_line_reasons() -> None:
    plan = build_plan("fine-tune Llama 3.1 8B to answer support questions", gpu="rtx-3060")
    assert plan.models[0].method is Method.QLORA and plan.feasibility.ok
    assert plan.training.adjustments and all("\n" not in a for a in plan.training.adjustments)


def test_songs_with_vocals_become_a_two_model_pipeline() -> None:
    plan = build_plan("songs with vocals like Suno from my lyrics")
    assert plan.pipeline.type is PipelineType.SEQUENTIAL and len(plan.models) == 2
    assert [m.role for m in plan.models] == ["music_generator", "vocal_synthesizer"]
    assert plan.pipeline.stages[1].depends_on == ["music"] and "suno" in plan.intent.references
    assert any(s.kind.value == "wire" for s in plan.steps)


def test_tiny_models_plan_for_the_cpu() -> None:
    plan = build_plan("instruction tune a chat model", base_model="omnitune/tiny-llama")
    assert plan.training.gpu.type == "cpu" and plan.models[0].base_model == "omnitune/tiny-llama"
    assert plan.estimates.cost_usd.gpu == 0


def test_data_path_is_inspected_and_small_data_is_flagged(tmp_path: Path) -> None:
    data = tmp_path / "chat.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
        for i in range(40)
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    plan = build_plan("instruction-tune Qwen2.5 0.5B for our help desk", data_path=str(data))
    assert plan.data.path == str(data)
    assert plan.data.found_samples == 40
    assert any("only 40 examples" in w for w in plan.warnings)
