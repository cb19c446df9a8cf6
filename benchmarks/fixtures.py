"""The shared inputs: variable-length chat data (prepared by omnitune) and a ~10M Llama on disk.

Both contenders load the same saved weights and tokenizer, so they start from the same model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnitune.data.bench import write_chat_jsonl

# ~10M parameters: 10 Llama blocks of width 256 (vocab from the BPE trained on the data).
BENCH_10M = dict(
    hidden_size=256,
    intermediate_size=896,
    num_hidden_layers=10,
    num_attention_heads=4,
    num_key_value_heads=4,
    max_position_embeddings=1024,
)
SMOKE = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=2,
    max_position_embeddings=512,
)
SHAPES = {"bench10m": BENCH_10M, "smoke": SMOKE}


@dataclass
class Workspace:
    """Files a benchmark run shares: the prepared dataset, its records, the saved model."""

    root: Path
    data_dir: Path
    model_dir: Path
    records: list[dict[str, Any]]

    @property
    def shape(self) -> dict[str, int]:
        """The architecture of the saved model."""
        config = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
        return {k: int(config[k]) for k in (*BENCH_10M, "vocab_size")}


def build_workspace(root: Path, records: int, model: str, seed: int = 0) -> Workspace:
    """Write ``records`` chat records, prepare them with omnitune, and save a seeded model."""
    from omnitune.data import prepare

    root.mkdir(parents=True, exist_ok=True)
    raw = write_chat_jsonl(root / "chat.jsonl", records, seed=seed)
    data_dir = root / "prepared"
    if not (data_dir / "manifest.json").exists():
        prepare(raw, data_dir, validation_fraction=0.0, seed=seed, dedupe=False)
    rows = [json.loads(line) for line in (data_dir / "train.jsonl").read_text().splitlines() if line]
    model_dir = root / f"model-{model}"
    if not (model_dir / "config.json").exists():
        save_model(model_dir, rows, SHAPES[model], seed)
    return Workspace(root, data_dir, model_dir, rows)


def save_model(directory: Path, rows: list[dict[str, Any]], shape: dict[str, int], seed: int) -> None:
    """A Llama with random (seeded) weights and a BPE tokenizer trained on the records."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from omnitune.recipes.llm.tokenizers import train_bpe_tokenizer

    texts = [f"{m['role']}\n{m['content']}" for r in rows for m in r["messages"]]
    tokenizer = train_bpe_tokenizer(texts, vocab_size=4096)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **shape,
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def parameter_counts(shape: dict[str, int]) -> dict[str, int]:
    """Parameters by part: the matmul ones (blocks + head) and the input embedding (a lookup)."""
    d, f, layers, vocab = (
        shape["hidden_size"],
        shape["intermediate_size"],
        shape["num_hidden_layers"],
        shape["vocab_size"],
    )
    head_dim = d // shape["num_attention_heads"]
    kv = shape["num_key_value_heads"] * head_dim
    per_layer = d * d * 2 + d * kv * 2 + 3 * d * f + 2 * d
    matmul = layers * per_layer + d * vocab + d
    return {"matmul": matmul, "embedding": d * vocab, "total": matmul + d * vocab}
