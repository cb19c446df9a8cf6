"""The planner adapts presets to random-init models, the data found and the CPU, with reasons."""

from __future__ import annotations

import json
from pathlib import Path

from omnitune.catalog.entries import get_model
from omnitune.demo.datasets import write_support_chat
from omnitune.plan import build_plan
from omnitune.plan.adapt import DataShape, adapt_to_cpu, adapt_to_data, adapt_to_model
from omnitune.types import Method, RecipeKey

CHAT = "a chat assistant that answers our customer support questions"


def test_the_tiny_chat_plan_trains_from_scratch_sized_to_its_data(tmp_path: Path) -> None:
    data = write_support_chat(tmp_path / "support.jsonl")
    plan = build_plan(CHAT, data_path=str(data), base_model="omnitune/tiny-llama")
    hp, notes = plan.training.hyperparameters, " | ".join(plan.training.adjustments)
    assert plan.models[0].method == Method.FULL_FINETUNE and "random weights" in notes
    assert plan.training.gpu.type == "cpu"
    assert 1e-3 <= hp["learning_rate"] <= 3e-3
    assert hp["seq_len"] == 64 and "p99" in notes
    rows = 51  # estimated packed rows of 64 tokens in the 85 training examples
    assert rows // (hp["batch_size"] * hp["gradient_accumulation"]) >= 8
    assert hp["epochs"] * rows // (hp["batch_size"] * hp["gradient_accumulation"]) >= 100
    assert hp["precision"] == "fp32" and hp["gradient_checkpointing"] is False
    assert "quantization" not in hp
    assert plan.data.found_samples == 96


def test_found_samples_counts_only_valid_records(tmp_path: Path) -> None:
    data = write_support_chat(tmp_path / "support.jsonl")
    with data.open("a", encoding="utf-8") as handle:
        handle.write('{"messages": "not a list"}\n{broken json\n')
    plan = build_plan(CHAT, data_path=str(data), base_model="omnitune/tiny-llama")
    assert plan.data.found_samples == 96


def test_sequence_length_is_capped_by_the_models_context() -> None:
    plan = build_plan("instruction tune a chat model", base_model="omnitune/tiny-llama")
    assert plan.training.hyperparameters["seq_len"] == 512
    hp = {"seq_len": 2048, "epochs": 3, "batch_size": 4, "gradient_accumulation": 4}
    shape = DataShape(samples=5000, train_samples=4500, token_p99=900, tokens_total=4500 * 400)
    notes = adapt_to_data(get_model("omnitune/tiny-llama"), RecipeKey.LLM_SFT, hp, shape)
    assert hp["seq_len"] == 512 and "context 512" in notes[0]
    assert hp["batch_size"] * hp["gradient_accumulation"] == 16  # enough data: batch unchanged


def test_pretrained_models_keep_fine_tuning_rates_and_fewer_epochs() -> None:
    model = get_model("llama-3.1-8b-instruct")
    hp = {"learning_rate": 2e-4, "seq_len": 2048, "epochs": 3, "batch_size": 4, "gradient_accumulation": 4}
    assert adapt_to_model(model, Method.LORA, hp) == [] and hp["learning_rate"] == 2e-4
    adapt_to_data(model, RecipeKey.LLM_SFT, hp, DataShape(96, 85, token_p99=27, tokens_total=1900))
    assert hp["seq_len"] == 128  # room for the real chat template's system header
    assert hp["epochs"] <= 5


def test_cpu_drops_4bit_and_checkpointing_and_caps_the_batch() -> None:
    hp = {"quantization": "4bit", "gradient_checkpointing": True, "batch_size": 32}
    hp["gradient_accumulation"] = 1
    classifier = {"batch_size": 32}
    assert adapt_to_cpu(RecipeKey.TEXT_CLASSIFICATION, Method.CLASSIFICATION, classifier) == []  # no accum.
    notes = adapt_to_cpu(RecipeKey.LLM_SFT, Method.LORA, hp)
    assert "quantization" not in hp and hp["gradient_checkpointing"] is False
    assert hp["batch_size"] == 8 and hp["gradient_accumulation"] == 4
    assert len(notes) == 3


def test_cpu_caps_the_generation_a_recipe_does_besides_training() -> None:
    hp = {"num_class_images": 4}
    notes = adapt_to_cpu(RecipeKey.IMAGE_DREAMBOOTH, Method.DREAMBOOTH, hp)
    assert hp == {"num_class_images": 4, "validation_steps_inference": 8, "class_inference_steps": 8}
    assert len(notes) == 2  # 4 class images were asked for: fewer than the cap, kept
    assert adapt_to_cpu(RecipeKey.LLM_SFT, Method.LORA, {}) == []


def test_a_cpu_dreambooth_plan_samples_in_few_steps() -> None:
    plan = build_plan("DreamBooth of my dog", base_model="omnitune/tiny-sd")
    hp = plan.training.hyperparameters
    assert hp["class_inference_steps"] == 8 and hp["num_class_images"] == 16
    assert any("class_inference_steps" in note for note in plan.training.adjustments)


def test_named_qlora_on_a_tiny_model_becomes_lora_on_the_cpu() -> None:
    plan = build_plan("instruction tune a chat model", base_model="omnitune/tiny-llama", method="qlora")
    assert plan.models[0].method == Method.LORA
    assert "quantization" not in plan.training.hyperparameters
    assert any("qlora" in w for w in plan.warnings)


def test_tiny_classifiers_get_a_from_scratch_learning_rate() -> None:
    plan = build_plan("classify photos of defects", base_model="omnitune/tiny-vit")
    assert plan.training.hyperparameters["learning_rate"] >= 1e-3
    assert json.dumps(plan.training.adjustments)


def test_recipes_without_accumulation_keep_their_batch_on_small_data() -> None:
    hp = {"learning_rate": 2e-5, "epochs": 3, "batch_size": 32}
    minilm = get_model("omnitune/minilm")
    notes = adapt_to_data(minilm, RecipeKey.TEXT_CLASSIFICATION, hp, DataShape(120, 108))
    assert hp["batch_size"] == 32 and hp["epochs"] == 5 and len(notes) == 1
