"""Model merging: linear, SLERP, TIES and DARE, of full models (mergekit) or of LoRA adapters (peft).

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: llm_merge`. The
plan's base model is the base (TIES/DARE subtract it to get task vectors; linear/SLERP start from
it); hyperparameters: `merge_models` (ids or directories to merge), `merge_method` (linear, slerp,
ties, dare_ties, dare_linear), `weights` (one per merged model), `density` (TIES/DARE, default
0.5), `t` (SLERP, default 0.5). When every input is a peft adapter of the same base, peft's
`add_weighted_adapter` merges the adapters instead (linear, ties, dare_ties, dare_linear; no SLERP).
No gradient step is taken: the sanity metric is each input's and the merged model's loss on the
prepared dataset (chat or text), so a merge that broke the weights shows at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import STATUS_FOR_STOP
from omnitune.recipes.llm import sft_data
from omnitune.recipes.llm.artefacts import SUMMARY_FILE, save_artefact
from omnitune.recipes.llm.finetuning import configure_threads
from omnitune.recipes.llm.models import (
    adapter_base_ref,
    is_adapter_dir,
    load_model_and_tokenizer,
    resolve_model_source,
)
from omnitune.recipes.llm.training_loop import perplexity
from omnitune.types import Method, Modality

FULL_METHODS = ("linear", "slerp", "ties", "dare_ties", "dare_linear")
ADAPTER_METHODS = ("linear", "ties", "dare_ties", "dare_linear")


class MergeRecipe:
    """Merge fine-tunes of one base into a single model, and check its loss on sample data."""

    key = "llm_merge"
    modality = Modality.LLM
    methods = frozenset({Method.MERGING})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Merge ``merge_models`` onto the base with ``merge_method``; report losses; save."""
        hp = ctx.hyperparameters
        configure_threads(ctx.device, hp, ctx.checkpoints_dir)
        method, inputs, weights = _settings(hp)
        stop = ctx.control.stop_requested()
        if stop is not None:  # nothing done yet, so nothing to checkpoint: a resume merges afresh
            return RecipeResult(STATUS_FOR_STOP[stop], 0)
        ctx.events.emit("merge_started", method=method, models=len(inputs))
        if all(is_adapter_dir(Path(i)) for i in inputs):
            _merge_adapters(ctx, hp, method, inputs, weights)
        else:
            _merge_full(ctx, hp, method, inputs, weights)
        metrics = _sanity_losses(ctx, [ctx.model.base_model, *inputs], hp)
        ctx.events.emit("evaluation", step=0, merge_method=method, **metrics)
        _record(ctx.output_dir, method, inputs, metrics)
        return RecipeResult("completed", 0, ctx.output_dir, metrics)


def _settings(hp: dict[str, Any]) -> tuple[str, list[str], list[float]]:
    method = str(hp.get("merge_method", "linear"))
    if method not in FULL_METHODS:
        raise ValueError(f"merge_method {method!r}: choose from {', '.join(FULL_METHODS)}")
    inputs = [str(m) for m in hp.get("merge_models") or []]
    if not inputs:
        raise ValueError("llm_merge needs hyperparameter merge_models: the models or adapters to merge")
    given = hp.get("weights") or "equal"  # the presets say `weights: equal`
    weights = [1.0 / len(inputs)] * len(inputs) if given == "equal" else [float(w) for w in given]
    if len(weights) != len(inputs):
        raise ValueError(f"weights has {len(weights)} values for {len(inputs)} merge_models")
    if method == "slerp" and len(inputs) != 1:
        raise ValueError(
            "slerp interpolates the base with exactly one other model: give one merge_models entry"
        )
    return method, inputs, weights


def _merge_full(
    ctx: RecipeContext, hp: dict[str, Any], method: str, inputs: list[str], weights: list[float]
) -> None:
    """Full-weight merge with mergekit (its tokenizer comes from the base)."""
    try:
        from mergekit.config import MergeConfiguration
        from mergekit.merge import MergeOptions, run_merge
    except ImportError as exc:
        raise ImportError("full-weight merging needs mergekit: pip install 'omnitune[llm]'") from exc
    base, paths = _model_path(ctx.model.base_model), [_model_path(m) for m in inputs]
    density = float(hp.get("density", 0.5))
    config: dict[str, Any] = {
        "merge_method": method,
        "base_model": base,
        "dtype": str(hp.get("dtype", "float32")),
    }
    if method == "slerp":
        config |= {
            "parameters": {"t": float(hp.get("t", 0.5))},
            "models": [{"model": base}, {"model": paths[0]}],
        }
    elif method == "linear":
        # a plain weighted average of the inputs (the base joins only with a `base_weight`)
        base_weight = float(hp.get("base_weight", 0.0))
        members = [(base, base_weight)] if base_weight > 0 else []
        config["models"] = [
            {"model": p, "parameters": {"weight": w}}
            for p, w in members + list(zip(paths, weights, strict=True))
        ]
    else:
        config["models"] = [
            {"model": p, "parameters": {"weight": w, "density": density}}
            for p, w in zip(paths, weights, strict=True)
        ]
    options = MergeOptions(
        copy_tokenizer=True, lazy_unpickle=False, low_cpu_memory=True, random_seed=ctx.seed
    )
    run_merge(MergeConfiguration.model_validate(config), str(ctx.output_dir), options=options)


def _model_path(model_id: str) -> str:
    """A directory or Hub id mergekit can read; from-config ids have no weights anywhere to merge."""
    source = resolve_model_source(model_id)
    if source.kind == "config":
        raise ValueError(
            f"{model_id!r} is built from a config with random weights, so there is nothing saved to merge; "
            "use a trained artefact directory (an adapter's `base/` directory for the base)"
        )
    return source.ref


def _merge_adapters(
    ctx: RecipeContext, hp: dict[str, Any], method: str, inputs: list[str], weights: list[float]
) -> None:
    """Merge LoRA adapters of one base with peft's add_weighted_adapter into adapter `default`."""
    from peft import PeftModel

    if method not in ADAPTER_METHODS:
        raise ValueError(
            f"adapters merge with {', '.join(ADAPTER_METHODS)}; for {method!r}, merge their merged/ dirs"
        )
    base_ref = adapter_base_ref(Path(inputs[0]))
    model, tokenizer = load_model_and_tokenizer(base_ref)
    names = [f"input{i}" for i in range(len(inputs))]
    merged: Any = PeftModel.from_pretrained(model, inputs[0], adapter_name=names[0])
    for name, path in zip(names[1:], inputs[1:], strict=True):
        merged.load_adapter(path, adapter_name=name)
    density = None if method == "linear" else float(hp.get("density", 0.5))
    merged.add_weighted_adapter(names, weights, "default", combination_type=method, density=density)
    merged.set_adapter("default")
    for name in names:
        merged.delete_adapter(name)
    save_artefact(
        merged, tokenizer, ctx.output_dir, base_model=base_ref, adapter=True, save_base=True, save_merged=True
    )


def _sanity_losses(ctx: RecipeContext, models: list[str], hp: dict[str, Any]) -> dict[str, float]:
    """Loss of the base, each input and the merged model on the prepared data (first 64 records)."""
    try:
        family = sft_data.read_family(ctx.data_dir)
    except FileNotFoundError:
        return {}
    records = sft_data.read_records(ctx.data_dir, "validation") or sft_data.read_records(
        ctx.data_dir, "train"
    )
    records = records[: int(hp.get("eval_max_examples", 64))]
    names = ["base_loss"] + [f"input{i}_loss" for i in range(len(models) - 1)]
    # a from-config id has random weights and no meaningful loss, so it is left out
    losses = {
        name: _loss(ref, records, family, hp)
        for name, ref in zip(names, models, strict=True)
        if resolve_model_source(ref).kind != "config"
    }
    merged = _loss(str(ctx.output_dir), records, family, hp)
    return {**losses, "merged_loss": merged, "merged_perplexity": perplexity(merged)}


def _loss(model_ref: str, records: list[dict[str, Any]], family: Any, hp: dict[str, Any]) -> float:
    import torch

    model, tokenizer = load_model_and_tokenizer(model_ref)
    examples = sft_data.encode_records(tokenizer, records, family, max_len=int(hp.get("seq_len", 512)))
    model.eval()
    with torch.no_grad():
        losses = [
            float(model(**sft_data.collate(examples[i : i + 8], tokenizer.pad_token_id)).loss)
            for i in range(0, len(examples), 8)
        ]
    return sum(losses) / len(losses)


def _record(output_dir: Path, method: str, inputs: list[str], metrics: dict[str, float]) -> None:
    """Note the merge in the artefact's omnitune_model.json (mergekit writes none of its own)."""
    path = output_dir / SUMMARY_FILE
    summary = (
        json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"layout": {"weights": "full"}}
    )
    summary |= {"recipe": "llm_merge", "merge_method": method, "merged_models": inputs, "metrics": metrics}
    path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
