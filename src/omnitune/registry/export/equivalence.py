"""The equivalence check run after every export: the same prompts through the trained model and the
exported one; max logit difference, next-token agreement and greedy-output agreement. Fails loudly."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

DEFAULT_PROBES = ("Hello, who are you?", "opposite of hot", "Write one sentence about the sea.")


class ExportMismatchError(RuntimeError):
    """The exported model does not answer like the trained one."""


class EquivalenceReport(BaseModel):
    """How closely the exported model matches the source on the probe prompts."""

    prompts: int
    max_logit_diff: float
    top1_agreement: float
    output_agreement: float
    tokenizer_agreement: float
    tolerance: float
    passed: bool


def check_equivalence(
    source: Any,
    exported: Any,
    tokenizer: Any,
    *,
    exported_tokenizer: Any = None,
    probes: tuple[str, ...] = DEFAULT_PROBES,
    tolerance: float = 1e-3,
    new_tokens: int = 8,
    what: str = "export",
) -> EquivalenceReport:
    """Compare ``exported`` with ``source``; raise ExportMismatchError when they differ beyond tolerance."""
    import torch

    diffs, top1, outputs, tokens = [], [], [], []
    for probe in probes:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": probe}], add_generation_prompt=True, tokenize=False
        )
        ids = tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids
        if exported_tokenizer is not None:
            other = exported_tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids
            tokens.append(float(other.shape == ids.shape and bool(torch.equal(other, ids))))
        with torch.no_grad():
            a, b = source(input_ids=ids).logits.float(), exported(input_ids=ids).logits.float()
            diffs.append(float((a - b).abs().max()))
            top1.append(float((a.argmax(-1) == b.argmax(-1)).float().mean()))
            outputs.append(
                float(torch.equal(_greedy(source, ids, new_tokens), _greedy(exported, ids, new_tokens)))
            )
    report = EquivalenceReport(
        prompts=len(probes),
        max_logit_diff=max(diffs),
        top1_agreement=sum(top1) / len(top1),
        output_agreement=sum(outputs) / len(outputs),
        tokenizer_agreement=sum(tokens) / len(tokens) if tokens else 1.0,
        tolerance=tolerance,
        passed=False,
    )
    report.passed = report.max_logit_diff <= tolerance and report.tokenizer_agreement == 1.0
    if not report.passed:
        raise ExportMismatchError(
            f"{what}: exported model differs from the trained one: "
            f"max logit diff {report.max_logit_diff:.3g} "
            f"(tolerance {tolerance:g}), next-token agreement {report.top1_agreement:.0%}, "
            f"tokenizer agreement {report.tokenizer_agreement:.0%}; the export was not accepted"
        )
    return report


def _greedy(model: Any, ids: Any, new_tokens: int) -> Any:
    import torch

    mask = torch.ones_like(ids)
    out = model.generate(
        input_ids=ids,
        attention_mask=mask,
        max_new_tokens=new_tokens,
        do_sample=False,
        pad_token_id=model.generation_config.pad_token_id,
    )
    return out[0, ids.shape[1] :]
