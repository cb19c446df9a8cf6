"""Choosing what trains in a denoiser: a LoRA, a LoHa/LoKr (LyCORIS via peft) or every weight."""

from __future__ import annotations

from typing import Any

import torch

DEFAULT_TARGETS = ["to_k", "to_q", "to_v", "to_out.0"]


def adapter_config(method: str, hp: dict[str, Any]) -> Any:
    """peft config for ``lora`` or ``lycoris`` (``lycoris_algo``: loha | lokr) from the hyperparameters."""
    from peft import LoHaConfig, LoKrConfig, LoraConfig

    rank = int(hp.get("lora_r", 16))
    alpha = int(hp.get("lora_alpha", rank))
    targets = list(hp.get("lora_target_modules") or DEFAULT_TARGETS)
    if method == "lora":
        return LoraConfig(
            r=rank,
            lora_alpha=alpha,
            lora_dropout=float(hp.get("lora_dropout", 0.0)),
            init_lora_weights="gaussian",
            target_modules=targets,
        )
    algo = str(hp.get("lycoris_algo", "loha")).lower()
    if algo == "loha":
        return LoHaConfig(r=rank, alpha=alpha, target_modules=targets)
    if algo == "lokr":
        return LoKrConfig(r=rank, alpha=alpha, target_modules=targets)
    raise ValueError(f"hyperparameter lycoris_algo={algo!r}: peft supports 'loha' and 'lokr'")


def make_trainable(model: torch.nn.Module, method: str, hp: dict[str, Any]) -> dict[str, torch.nn.Parameter]:
    """Attach the adapter (or unfreeze everything for full_finetune); return the trainable params by name."""
    if method == "full_finetune":
        model.to(torch.float32)  # every weight trains: keep the optimiser's master copy exact
        model.requires_grad_(True)
    elif method in ("lora", "lycoris"):
        model.add_adapter(adapter_config(method, hp))  # type: ignore[operator]
    else:
        raise ValueError(f"method {method!r}: the image LoRA recipe trains lora, lycoris or full_finetune")
    trainable = {name: p for name, p in model.named_parameters() if p.requires_grad}
    for param in trainable.values():
        param.data = param.data.float()  # train in fp32 even when the frozen base is half precision
    if hp.get("gradient_checkpointing", False):
        model.enable_gradient_checkpointing()  # type: ignore[operator]
    model.train()
    return trainable


def make_ema(trainable: dict[str, torch.nn.Parameter], hp: dict[str, Any]) -> Any:
    """diffusers' EMAModel over the trainable weights when ``use_ema`` is set."""
    if not hp.get("use_ema", False):
        return None
    from diffusers.training_utils import EMAModel

    return EMAModel(list(trainable.values()), decay=float(hp.get("ema_decay", 0.9999)))
