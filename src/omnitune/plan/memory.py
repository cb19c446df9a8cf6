"""Peak training memory and compute from first principles: weights, grads, optimiser, activations.

GPU plans count device memory (bf16 compute, a CUDA context); CPU plans count the training process's
resident memory (fp32 throughout, the interpreter and libraries, the tokenizer, allocator slack).
"""

from __future__ import annotations

from dataclasses import dataclass

GB = 1024**3
CUDA_OVERHEAD_GB = 1.0  # context, kernels, allocator slack
FRAGMENTATION = 1.1
LATENT_ACTIVATION_BYTES = 1.17 * GB  # per billion params per 4096 latent tokens (SDXL-calibrated)
# RSS of a fresh `python -c "import torch; from transformers import LlamaForCausalLM"` (what a worker
# holds before it loads a model): 381 MiB with torch 2.13 (CPU) and transformers 5.25, x86-64 Linux.
CPU_PROCESS_BASELINE_GB = 0.372
# glibc keeps freed activation blocks of earlier batch shapes: peak RSS over an epoch of
# length-bucketed batches was 1.1-1.8x the first step's activations (benchmarks/memory.py shapes).
CPU_ALLOCATOR_SLACK = 1.35
TOKENIZER_BYTES_PER_ENTRY = 512  # fast tokenizer vocab + merges: 15 MB for a 30k vocab (MiniLM)
# fp32 values one decoder layer keeps per token for backward, in units of hidden size: norms,
# q/k/v, rotary, attention output (flash/sdpa: no s² term) ~10, SwiGLU's four ~3h-wide tensors ~12.
# Counted with saved_tensors_hooks on Llama blocks (21-24.5 per hidden unit at f = 2.7-3.5 h).
CPU_ACTIVATION_FLOATS_PER_HIDDEN = 22
# Under CPU bf16 autocast the saved activations shrink (bf16 copies of matmul inputs) to ~16 fp32-sized
# values per hidden unit (16.3 at widths 256 and 512, same hooks), autocast's bf16 copy of every matmul
# weight is saved for the backward pass (2 B per parameter), and the process's peak RSS grows by a
# further ~23 B per parameter: measured 25 and 22 B/param at 10M and 28M parameters (benchmarks/memory.py),
# beyond what saved tensors account for (oneDNN's bf16 weight reorders and the allocator keeping them).
CPU_BF16_ACTIVATION_FLOATS_PER_HIDDEN = 16.3
CPU_BF16_BYTES_PER_PARAM = 2.0 + 23.0

# (params_b upper bound, hidden size, layers) of typical decoder shapes, used for activations.
_SHAPES = (
    (0.2, 576, 30),
    (0.6, 1024, 24),
    (2.0, 2048, 24),
    (4.5, 3072, 28),
    (9.5, 4096, 32),
    (16, 5120, 40),
    (36, 5120, 64),
    (80, 8192, 80),
    (1e9, 12288, 96),
)


@dataclass
class Workload:
    """One training configuration, as the estimator sees it."""

    params_b: float
    tokens_per_sample: int
    batch_size: int = 1
    full: bool = False  # all weights trained (else adapters / a head / embeddings only)
    quantization: str | None = None  # '4bit' | '8bit' | None
    optimizer: str = "adamw_torch"
    lora_r: int = 16
    gradient_checkpointing: bool = True
    kind: str = "sequence"  # sequence | latent | video | patches | audio_tokens | merge
    vocab: int = 32000
    aux_params_b: float = 0.0  # frozen text encoders / VAE held in bf16
    trainable_fraction: float | None = None  # e.g. ControlNet copies half the denoiser
    shape: tuple[int, int] | None = None  # (hidden, layers) when the config is known
    device: str = "cuda"  # "cuda" | "cpu": a CPU run is fp32 (or bf16 autocast), without a CUDA context
    precision: str = "fp32"  # on a CPU: "bf16" = bf16 autocast over fp32 weights (GPU estimates assume bf16)


def shape_of(params_b: float) -> tuple[int, int]:
    """(hidden, layers) of a typical transformer with ``params_b`` billion parameters."""
    return next((h, n) for limit, h, n in _SHAPES if params_b <= limit)


def trainable_params(w: Workload) -> float:
    """Parameters that receive gradients."""
    total = w.params_b * 1e9
    if w.trainable_fraction is not None:
        return total * w.trainable_fraction
    if w.full:
        return total
    return total * 0.0026 * (w.lora_r / 8)  # all-linear LoRA: ~0.5% of weights at r=16


def on_cpu(w: Workload) -> bool:
    """Whether the workload trains on a CPU (fp32, resident memory) rather than a GPU."""
    return w.device.startswith("cpu")


def cpu_autocast(w: Workload) -> bool:
    """Whether a CPU workload trains under bf16 autocast (the plan's precision on a bf16-capable CPU)."""
    return on_cpu(w) and w.precision == "bf16" and w.kind == "sequence"


def weight_bytes(w: Workload) -> float:
    """Frozen + trainable weights as loaded (4-bit NF4 ~0.55 B/param incl. quant constants)."""
    if on_cpu(w):
        return (w.params_b + w.aux_params_b) * 1e9 * 4.0  # fp32, no master copy
    per_param = {"4bit": 0.55, "8bit": 1.1}.get(w.quantization or "", 2.0)
    if w.full:
        per_param = 2.0 + 4.0  # bf16 weights + fp32 master copy (mixed precision)
    return w.params_b * 1e9 * per_param + w.aux_params_b * 1e9 * 2.0


def optimizer_bytes(w: Workload) -> float:
    """Gradients and optimiser states of the trainable parameters."""
    states = 2.0 if "8bit" in w.optimizer else 8.0  # AdamW m and v
    grads = 2.0 if w.full and not on_cpu(w) else 4.0
    adapter_weights = 0.0 if w.full else 4.0  # adapters kept in fp32
    return trainable_params(w) * (states + grads + adapter_weights)


def activation_bytes(w: Workload) -> float:
    """Activations kept for the backward pass (Korthikanti et al. 2022, flash attention)."""
    tokens = w.tokens_per_sample * w.batch_size
    if w.kind in ("latent", "video"):
        scale = 0.3 if w.gradient_checkpointing else 1.0
        scale *= 2.0 if on_cpu(w) else 1.0  # calibrated in bf16; a CPU keeps fp32
        return LATENT_ACTIVATION_BYTES * w.params_b * tokens / 4096 * scale
    hidden, layers = w.shape or shape_of(w.params_b)
    if on_cpu(w):
        return _cpu_sequence_activation_bytes(w, tokens, hidden, layers)
    per_layer = 34 * hidden * tokens  # bf16 activations of one layer
    kept = 2 * hidden * tokens * layers + per_layer if w.gradient_checkpointing else per_layer * layers
    logits = tokens * w.vocab * 4 * 2  # fp32 logits and their gradient
    return kept + logits


def _cpu_sequence_activation_bytes(w: Workload, tokens: int, hidden: int, layers: int) -> float:
    """fp32 activations of every layer and the loss over the vocab.

    Every layer's: the LLM recipes switch gradient checkpointing on only on CUDA (on a CPU it costs
    a third more time for memory a CPU host seldom lacks).
    """
    floats = CPU_BF16_ACTIVATION_FLOATS_PER_HIDDEN if cpu_autocast(w) else CPU_ACTIVATION_FLOATS_PER_HIDDEN
    kept = floats * hidden * 4 * tokens * layers
    logits = tokens * w.vocab * 4 * 3  # fp32 logits, the log-softmax kept for backward, their gradient
    return kept + logits


def estimate_peak_memory(w: Workload) -> float:
    """Peak device memory in GB for one training step (a CPU plan: the process's peak RSS)."""
    if on_cpu(w):
        return _cpu_peak_rss(w)
    if w.kind == "merge":
        return w.params_b * 2.0 * 2 + CUDA_OVERHEAD_GB  # two models in bf16
    total = weight_bytes(w) + optimizer_bytes(w) + activation_bytes(w)
    return round(total / GB * FRAGMENTATION + CUDA_OVERHEAD_GB, 1)


def _cpu_peak_rss(w: Workload) -> float:
    """Process baseline + tokenizer + fp32 weights, grads, AdamW states + activations with slack."""
    if w.kind == "merge":
        return round(w.params_b * 4.0 * 2 * 1e9 / GB + CPU_PROCESS_BASELINE_GB, 2)  # two fp32 models
    tokenizer = w.vocab * TOKENIZER_BYTES_PER_ENTRY if w.kind == "sequence" else 0.0
    autocast_copies = w.params_b * 1e9 * CPU_BF16_BYTES_PER_PARAM if cpu_autocast(w) else 0.0
    held = weight_bytes(w) + optimizer_bytes(w) + tokenizer + autocast_copies
    total = held + activation_bytes(w) * CPU_ALLOCATOR_SLACK
    return round(total / GB + CPU_PROCESS_BASELINE_GB, 2)


def train_flops(w: Workload, samples: float) -> float:
    """FLOPs to process ``samples`` training samples (6N per token full, ~4N with frozen weights)."""
    per_token = (6.0 if w.full else 4.0) * w.params_b * 1e9
    if w.gradient_checkpointing:
        per_token += 2.0 * w.params_b * 1e9  # forward recomputed
    if w.kind == "video":
        per_token *= 2.0  # attention over tens of thousands of tokens dominates
    return per_token * w.tokens_per_sample * samples
