"""Memory, fit, time and cost estimates: the sanity anchors and the adjustment trail."""

from __future__ import annotations

from omnitune.catalog import get_model
from omnitune.catalog.hardware import get_gpu
from omnitune.plan.memory import Workload, estimate_peak_memory
from omnitune.plan.presets import hyperparameters
from omnitune.plan.resources import fit_to_gpu, train_hours
from omnitune.types import Method, Preset, RecipeKey


def test_memory_anchors_from_first_principles() -> None:
    qlora_8b = estimate_peak_memory(Workload(8.03, 2048, 1, quantization="4bit", vocab=128000))
    lora_8b = estimate_peak_memory(Workload(8.03, 2048, 1, vocab=128000))
    full_7b = estimate_peak_memory(Workload(7.25, 2048, 1, full=True, vocab=32000))
    assert 6 <= qlora_8b <= 12
    assert 18 <= lora_8b <= 24
    assert full_7b > 60


def test_memory_grows_with_batch_sequence_and_resolution() -> None:
    base = Workload(1.5, 1024, 1)
    assert estimate_peak_memory(Workload(1.5, 1024, 4)) > estimate_peak_memory(base)
    assert estimate_peak_memory(Workload(1.5, 4096, 1)) > estimate_peak_memory(base)
    assert estimate_peak_memory(Workload(1.5, 1024, 1, gradient_checkpointing=False)) > estimate_peak_memory(
        base
    )
    sdxl_512 = estimate_peak_memory(Workload(2.57, 1024, 1, kind="latent", aux_params_b=0.9))
    sdxl_1024 = estimate_peak_memory(Workload(2.57, 4096, 1, kind="latent", aux_params_b=0.9))
    assert sdxl_512 < sdxl_1024 < 16


def test_fit_halves_batch_then_switches_to_qlora_with_a_reason_each() -> None:
    model = get_model("llama-3.1-8b-instruct")
    hp = hyperparameters(RecipeKey.LLM_SFT, Preset.BALANCED, Method.LORA)
    fit = fit_to_gpu(model, RecipeKey.LLM_SFT, Method.LORA, hp, get_gpu("rtx-3060"), method_locked=False)
    assert fit.fits and fit.method is Method.QLORA
    assert fit.hyperparameters["quantization"] == "4bit"
    assert fit.hyperparameters["batch_size"] * fit.hyperparameters["gradient_accumulation"] == 16
    assert any("QLoRA" in a for a in fit.adjustments) and all("GB" in a for a in fit.adjustments)
    assert fit.peak_gb <= 12 * 0.9


def test_a_locked_full_finetune_of_70b_does_not_fit_24gb() -> None:
    model = get_model("llama-3.1-70b-instruct")
    hp = hyperparameters(RecipeKey.LLM_SFT, Preset.BALANCED, Method.FULL_FINETUNE)
    fit = fit_to_gpu(
        model, RecipeKey.LLM_SFT, Method.FULL_FINETUNE, hp, get_gpu("rtx-4090"), method_locked=True
    )
    assert not fit.fits and fit.method is Method.FULL_FINETUNE and fit.peak_gb > 500


def test_time_scales_with_gpu_throughput() -> None:
    model = get_model("qwen2.5-7b-instruct")
    hp = hyperparameters(RecipeKey.LLM_SFT, Preset.BALANCED, Method.LORA)
    fit = fit_to_gpu(model, RecipeKey.LLM_SFT, Method.LORA, hp, get_gpu("h100"), method_locked=False)
    on_h100 = train_hours(model, RecipeKey.LLM_SFT, fit, get_gpu("h100"), 1, 1000)
    on_a100 = train_hours(model, RecipeKey.LLM_SFT, fit, get_gpu("a100-80gb"), 1, 1000)
    assert 0 < on_h100 < on_a100
