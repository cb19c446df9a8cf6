"""Memory, fit, time and cost estimates: the sanity anchors and the adjustment trail."""

from __future__ import annotations

import pytest

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


def test_a_cpu_plan_counts_the_process_fp32_state_and_activations() -> None:
    from omnitune.plan import memory as m

    shape = dict(params_b=0.01, tokens_per_sample=128, batch_size=8, full=True, vocab=400, shape=(256, 10))
    cpu = Workload(**shape, gradient_checkpointing=False, device="cpu")  # type: ignore[arg-type]
    tokens = 128 * 8
    activations = 22 * 256 * 4 * tokens * 10 + tokens * 400 * 4 * 3
    expected = (
        m.CPU_PROCESS_BASELINE_GB
        + (0.01e9 * (4 + 4 + 8) + 400 * m.TOKENIZER_BYTES_PER_ENTRY + activations * m.CPU_ALLOCATOR_SLACK)
        / m.GB
    )
    assert estimate_peak_memory(cpu) == round(expected, 2)
    gpu = estimate_peak_memory(Workload(**shape, gradient_checkpointing=False))  # type: ignore[arg-type]
    assert gpu >= m.CUDA_OVERHEAD_GB > estimate_peak_memory(cpu)
    lora = Workload(**{**shape, "full": False}, gradient_checkpointing=False, device="cpu")  # type: ignore[arg-type]
    assert estimate_peak_memory(lora) < estimate_peak_memory(cpu)


def test_the_cpu_fit_uses_the_cpu_formula() -> None:
    model = get_model("omnitune/tiny-llama")
    hp = hyperparameters(RecipeKey.LLM_SFT, Preset.BALANCED, Method.LORA)
    fit = fit_to_gpu(model, RecipeKey.LLM_SFT, Method.LORA, hp, get_gpu("cpu"), method_locked=False)
    assert fit.fits and 0.3 < fit.peak_gb < 1.0  # a tiny model on a CPU: mostly the process itself


@pytest.mark.parametrize(
    ("hidden", "intermediate", "bf16"),
    [(64, 192, False), (256, 896, True)],  # fp32, and CPU bf16 autocast (plans only use it at width >= 256)
)
def test_activation_floats_per_hidden_match_what_a_llama_block_saves(
    hidden: int, intermediate: int, bf16: bool
) -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from omnitune.plan.memory import CPU_ACTIVATION_FLOATS_PER_HIDDEN, CPU_BF16_ACTIVATION_FLOATS_PER_HIDDEN

    torch.set_num_threads(1)
    layers, batch, seq, vocab = 2, 2, 32, 50
    config = LlamaConfig(
        vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2,
    )  # fmt: skip
    model = LlamaForCausalLM(config)
    ids = torch.randint(0, vocab, (batch, seq))
    storages: dict[int, int] = {}
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    matmul_weights = sum(p.numel() for n, p in model.named_parameters() if p.dim() == 2 and "embed" not in n)

    def keep(t: torch.Tensor) -> torch.Tensor:
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t), torch.autocast("cpu", enabled=bf16):
        model(input_ids=ids, labels=ids, use_cache=False)
    saved = sum(n for ptr, n in storages.items() if ptr not in params)
    saved -= 2 * matmul_weights if bf16 else 0  # autocast's bf16 weight copies are counted per parameter
    per_hidden = (saved - 3 * batch * seq * vocab * 4) / (4 * batch * seq * layers * hidden)
    expected = CPU_BF16_ACTIVATION_FLOATS_PER_HIDDEN if bf16 else CPU_ACTIVATION_FLOATS_PER_HIDDEN
    assert abs(per_hidden - expected) / expected < 0.15
