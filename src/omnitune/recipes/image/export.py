"""Writing trained adapters: diffusers-format LoRA safetensors, a kohya export, and PEFT LyCORIS adapters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from omnitune.recipes.image.denoisers import Denoiser

KOHYA_FILE = "kohya/lora_kohya.safetensors"
LORA_FILE = "pytorch_lora_weights.safetensors"


def save_lora(denoiser: Denoiser, out_dir: Path) -> dict[str, Path]:
    """Save the denoiser's LoRA as diffusers safetensors (``load_lora_weights``) plus a kohya file."""
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft.utils import get_peft_model_state_dict

    model = denoiser.model
    state = get_peft_model_state_dict(model)
    prefix = "unet" if denoiser.family in ("sd", "sdxl") else "transformer"
    config: Any = model.peft_config["default"]  # type: ignore[index]
    type(denoiser.pipe).save_lora_weights(
        out_dir,
        safe_serialization=True,
        **{
            f"{prefix}_lora_layers": convert_state_dict_to_diffusers(state),
            f"{prefix}_lora_adapter_metadata": config.to_dict(),
        },
    )
    files = {"diffusers": out_dir / LORA_FILE}
    # diffusers converts UNet (and CLIP) keys to kohya; transformer LoRAs stay diffusers-only
    if prefix == "unet":
        files["kohya"] = save_kohya(state, float(config.lora_alpha), out_dir / KOHYA_FILE)
    return files


def save_kohya(peft_state: dict[str, torch.Tensor], lora_alpha: float, path: Path) -> Path:
    """A kohya/A1111/ComfyUI LoRA of the UNet; alphas carry our lora_alpha (diffusers writes alpha = rank)."""
    from diffusers.utils import convert_state_dict_to_kohya

    kohya = convert_state_dict_to_kohya({f"unet.{k}": v for k, v in peft_state.items()})
    for key in [k for k in kohya if k.endswith(".alpha")]:
        kohya[key] = torch.tensor(lora_alpha)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in kohya.items()}, str(path))
    return path


def save_peft_adapter(model: torch.nn.Module, out_dir: Path) -> Path:
    """A LoHa/LoKr adapter in PEFT layout (adapter_config.json + adapter_model.safetensors)."""
    from peft.utils import get_peft_model_state_dict

    target = out_dir / "denoiser_adapter"
    target.mkdir(parents=True, exist_ok=True)
    config: Any = model.peft_config["default"]  # type: ignore[index]
    config.save_pretrained(str(target))
    state = {k: v.contiguous() for k, v in get_peft_model_state_dict(model).items()}
    save_file(state, str(target / "adapter_model.safetensors"))
    return target


def load_peft_adapter(model: torch.nn.Module, adapter_dir: Path) -> None:
    """Inject a saved LoHa/LoKr adapter into a fresh denoiser and load its weights."""
    from peft import PeftConfig, inject_adapter_in_model, set_peft_model_state_dict
    from safetensors.torch import load_file

    config = PeftConfig.from_pretrained(str(adapter_dir))
    inject_adapter_in_model(config, model)
    set_peft_model_state_dict(model, load_file(str(adapter_dir / "adapter_model.safetensors")))


def write_summary(out_dir: Path, summary: dict[str, Any]) -> Path:
    """`training_summary.json`: method, steps, losses and the files written."""
    path = out_dir / "training_summary.json"
    path.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return path
