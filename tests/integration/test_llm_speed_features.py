"""Each llm_sft speed feature keeps the loss curve within noise of the reference run (tiny model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from llm_sft_helpers import make_context, run_recipe

from omnitune.catalog.cpu import cpu_bf16_flags

pytestmark = pytest.mark.slow

# reference: one thread, no length bucketing, no packing
REFERENCE = {
    "precision": "fp32",
    "batch_size": 8,
    "num_threads": 1,
    "save_steps": 100,
    "learning_rate": 3e-3,
    "max_steps": 16,
    "group_by_length": False,
    "packing": False,
}


def _losses(root: Path, **changes: Any) -> tuple[list[float], dict[str, float]]:
    ctx, sink = make_context(root, "full_finetune", {**REFERENCE, **changes})
    result = run_recipe(ctx)
    assert result.status == "completed"
    return [float(e["loss"]) for e in sink.read("metrics")], result.metrics


def test_thread_count_leaves_the_curve_unchanged(tmp_path: Path) -> None:
    reference, _ = _losses(tmp_path / "ref")
    threaded, _ = _losses(tmp_path / "threads", num_threads=2)
    # same batches and order: only the summation order inside matmuls differs
    assert max(abs(a - b) for a, b in zip(reference, threaded, strict=True)) < 2e-2


def test_length_bucketing_and_packing_stay_within_noise(tmp_path: Path) -> None:
    ref_curve, ref = _losses(tmp_path / "ref")
    bucket_curve, bucketed = _losses(tmp_path / "bucket", group_by_length=True)
    _, packed = _losses(tmp_path / "pack", packing=True, max_seq_len=128)
    for metrics in (ref, bucketed, packed):
        assert metrics["eval_loss_after"] < metrics["eval_loss_before"] - 0.5, metrics
    # different batch order: compare where the runs end up, not step by step
    tail = slice(-4, None)
    assert abs(sum(bucket_curve[tail]) - sum(ref_curve[tail])) / 4 < 0.25 * ref_curve[0]
    assert abs(bucketed["eval_loss_after"] - ref["eval_loss_after"]) < 0.15 * ref["eval_loss_before"]
    assert abs(packed["eval_loss_after"] - ref["eval_loss_after"]) < 0.15 * ref["eval_loss_before"]


@pytest.mark.skipif(not cpu_bf16_flags(), reason="this CPU has no native bf16 (AVX512-BF16/AMX)")
def test_cpu_bf16_autocast_stays_within_noise_of_fp32(tmp_path: Path) -> None:
    reference, ref = _losses(tmp_path / "fp32")
    mixed, bf16 = _losses(tmp_path / "bf16", precision="bf16")
    assert bf16["eval_loss_after"] < bf16["eval_loss_before"] - 0.5, bf16
    # same batches and order; bf16 matmuls round to 8 mantissa bits, so allow more than the thread test
    assert max(abs(a - b) for a, b in zip(reference, mixed, strict=True)) < 0.1 * reference[0]
    assert abs(bf16["eval_loss_after"] - ref["eval_loss_after"]) < 0.05 * ref["eval_loss_before"]
    assert mixed != reference  # autocast really ran: bf16 rounding shows in the losses


def test_fused_adamw_on_cpu_matches_the_for_each_step() -> None:
    import copy

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from omnitune.recipes.llm.finetuning import make_optimizer

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2)  # fmt: skip
    fused_model = LlamaForCausalLM(config)
    plain_model = copy.deepcopy(fused_model)
    fused = make_optimizer(list(fused_model.parameters()), {"learning_rate": 1e-2}, "cpu")
    plain = torch.optim.AdamW(plain_model.parameters(), lr=1e-2, weight_decay=0.0, foreach=True)
    assert fused.defaults["fused"] is True
    batch = torch.randint(0, 64, (4, 16))
    curves: list[list[float]] = [[], []]
    for _ in range(10):
        for curve, model, optimizer in ((curves[0], fused_model, fused), (curves[1], plain_model, plain)):
            loss = model(input_ids=batch, labels=batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            curve.append(float(loss))
    assert curves[0][-1] < curves[0][0] - 0.5
    assert max(abs(a - b) for a, b in zip(*curves, strict=True)) < 1e-4
