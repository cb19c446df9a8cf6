"""What a method trains: LoRA/QLoRA adapters (peft), layer freezing, and device/speed settings."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnitune.types import Method

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

ADAPTER_METHODS = frozenset({Method.LORA, Method.QLORA})


def lora_config(hp: dict[str, Any], task_type: str = "CAUSAL_LM") -> Any:
    """A peft LoraConfig from hyperparameters lora_r, lora_alpha, lora_dropout, lora_target_modules."""
    from peft import LoraConfig

    rank = int(hp.get("lora_r", 16))
    return LoraConfig(
        r=rank,
        lora_alpha=int(hp.get("lora_alpha", 2 * rank)),
        lora_dropout=float(hp.get("lora_dropout", 0.05)),
        # every linear layer but the output head: attention and MLP both adapt
        target_modules=hp.get("lora_target_modules") or "all-linear",
        bias="none",
        task_type=task_type,
    )


def apply_lora(model: PreTrainedModel, hp: dict[str, Any], task_type: str = "CAUSAL_LM") -> Any:
    """Wrap ``model`` with fresh LoRA adapters; only they (and a classifier head) train."""
    from peft import get_peft_model

    return get_peft_model(model, lora_config(hp, task_type))


def qlora_model_kwargs(device: str) -> dict[str, Any]:
    """``from_pretrained`` kwargs that load a model in 4-bit NF4; only on CUDA with bitsandbytes."""
    if not device.startswith("cuda"):
        raise ValueError(
            "method 'qlora' needs a CUDA GPU (bitsandbytes 4-bit); this job runs on "
            f"{device!r}. Use method 'lora' on a CPU: same adapters, unquantised base."
        )
    if importlib.util.find_spec("bitsandbytes") is None:
        raise ValueError("method 'qlora' needs bitsandbytes: `pip install 'omnitune[gpu]'`, or use 'lora'")
    import torch
    from transformers import BitsAndBytesConfig

    quant = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
    return {"quantization_config": quant, "device_map": {"": device}, "dtype": torch.bfloat16}


def prepare_for_kbit(model: PreTrainedModel, gradient_checkpointing: bool) -> PreTrainedModel:
    """peft's preparation of a quantised model (fp32 norms, input grads) before adding LoRA."""
    from peft import prepare_model_for_kbit_training

    return prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)


def decoder_layers(model: Any) -> list[Any]:
    """The model's stack of transformer blocks (the ModuleList as long as num_hidden_layers)."""
    import torch

    count = getattr(model.config, "num_hidden_layers", None)
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == count:
            return list(module)
    raise ValueError(f"{type(model).__name__}: cannot find its {count} transformer layers to freeze")


def apply_freezing(model: PreTrainedModel, hp: dict[str, Any]) -> None:
    """Freeze by ``freeze_layers: N`` (embeddings + bottom N) or ``train_top_layers: N`` (all but top N)."""
    freeze_bottom, train_top = hp.get("freeze_layers"), hp.get("train_top_layers")
    if freeze_bottom is None and train_top is None:
        return
    layers = decoder_layers(model)
    if train_top is not None:
        for param in model.parameters():
            param.requires_grad_(False)
        trainable = layers[len(layers) - int(train_top) :]
        for module in [*trainable, model.get_output_embeddings()]:
            for param in module.parameters():
                param.requires_grad_(True)
        _unfreeze_final_norm(model)
        return
    for module in [model.get_input_embeddings(), *layers[: int(freeze_bottom or 0)]]:
        for param in module.parameters():
            param.requires_grad_(False)


def _unfreeze_final_norm(model: Any) -> None:
    norm = getattr(getattr(model, "model", model), "norm", None)
    if norm is not None:
        for param in norm.parameters():
            param.requires_grad_(True)


THREADS_FILE = "threads.json"  # in the job's checkpoints dir: the count the job's first run chose


def configure_threads(device: str, hp: dict[str, Any], checkpoints_dir: Path | None = None) -> int:
    """Threads for CPU math: ``num_threads`` if given, else the count this job chose before (so a
    resumed run sums in the same order and ends bit-identical), else the physical cores other work
    leaves idle, recorded in ``checkpoints_dir`` for later resumes."""
    import torch

    if not device.startswith("cpu"):
        return torch.get_num_threads()
    wanted = hp.get("num_threads") or os.environ.get("OMNITUNE_NUM_THREADS")
    record = checkpoints_dir / THREADS_FILE if checkpoints_dir is not None else None
    if wanted:
        threads = max(1, int(wanted))
    elif record is not None and record.is_file():
        threads = int(json.loads(record.read_text(encoding="utf-8"))["threads"])
    else:
        threads = idle_physical_cores()
        if record is not None:
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps({"threads": threads}), encoding="utf-8")
    torch.set_num_threads(threads)
    return threads


def idle_physical_cores() -> int:
    """Physical cores this process may use, less those other processes keep busy (1-minute load).

    Why: OpenMP threads spin at barriers, so one thread more than there are idle cores makes every
    matmul wait for a descheduled thread (10x slower steps measured on a loaded 2-core machine).
    """
    import psutil

    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    physical = min(allowed, psutil.cpu_count(logical=False) or allowed)
    others = max(0.0, os.getloadavg()[0] - 1.0) if hasattr(os, "getloadavg") else 0.0  # 1.0: this process
    return max(1, min(physical, round(physical - others)))


def use_bf16(device: str, hp: dict[str, Any]) -> bool:
    """bf16 autocast on GPUs that support it unless ``precision`` says fp32; on a CPU only when the
    plan asks for bf16 (the planner does for wide models on CPUs with native bf16) and the CPU has it."""
    import torch

    if str(hp.get("precision", "bf16")) in ("fp32", "float32", "no"):
        return False
    if device.startswith("cpu"):
        return hp.get("precision") == "bf16" and cpu_has_native_bf16()
    return device.startswith("cuda") and bool(torch.cuda.is_bf16_supported())


def cpu_has_native_bf16() -> bool:
    """True when this CPU multiplies bf16 in hardware (AVX512-BF16 or AMX), where bf16 autocast
    runs matmuls ~2.5x faster than fp32; elsewhere it is emulated and slower."""
    from omnitune.catalog.cpu import cpu_bf16_flags

    return bool(cpu_bf16_flags())


def speed_up_for_cuda(model: PreTrainedModel, device: str, hp: dict[str, Any]) -> list[str]:
    """Liger kernels and gradient checkpointing on CUDA; returns what was switched on."""
    enabled: list[str] = []
    if not device.startswith("cuda"):
        return enabled
    if hp.get("liger", True) and importlib.util.find_spec("liger_kernel") is not None:
        from liger_kernel.transformers import _apply_liger_kernel_to_instance

        _apply_liger_kernel_to_instance(model=model)
        enabled.append("liger")
    if hp.get("gradient_checkpointing", True):
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
        enabled.append("gradient_checkpointing")
    return enabled


def make_optimizer(
    params: list[torch.nn.Parameter], hp: dict[str, Any], device: str
) -> torch.optim.Optimizer:
    """AdamW with fused kernels (CUDA and CPU) over the trainable parameters.

    On a CPU the fused step is 3-5x faster than the default for-each one (40 vs 150-270 ms per step
    for 9M parameters), a few percent of a small model's step.
    """
    import torch

    return torch.optim.AdamW(
        params,
        lr=float(hp.get("learning_rate", 2e-4)),
        weight_decay=float(hp.get("weight_decay", 0.0)),
        betas=(float(hp.get("adam_beta1", 0.9)), float(hp.get("adam_beta2", 0.999))),
        fused=device.startswith(("cuda", "cpu")) or None,
    )
