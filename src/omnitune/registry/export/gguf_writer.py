"""Write a transformers Llama model and its byte-level BPE tokenizer as a GGUF file (F32 or F16).

Follows llama.cpp's `convert_hf_to_gguf.py` for the llama architecture: its tensor names (from the
`gguf` package's name map), its Q/K row permutation (llama.cpp's rotary layout), and its tokenizer
metadata (``gpt2`` BPE: tokens, token types, merges, special ids, chat template), so llama.cpp,
Ollama and transformers' own GGUF reader all load the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SUPPORTED_MODEL_TYPES = ("llama",)


def write_gguf(model: Any, tokenizer: Any, path: Path, *, name: str, dtype: str = "f32") -> Path:
    """Write ``model`` (a LlamaForCausalLM) and ``tokenizer`` (a fast byte-level BPE) to ``path``."""
    import gguf

    config = model.config
    if config.model_type not in SUPPORTED_MODEL_TYPES:
        raise ValueError(
            f"GGUF export supports {', '.join(SUPPORTED_MODEL_TYPES)} models, "
            f"this one is {config.model_type!r} "
            "(export 'merged' safetensors and convert with llama.cpp's convert_hf_to_gguf.py instead)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "llama")
    _write_config(writer, config, name, dtype)
    _write_tokenizer(writer, tokenizer, config.vocab_size)
    for gguf_name, array in _tensors(model, dtype):
        writer.add_tensor(gguf_name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _write_config(writer: Any, config: Any, name: str, dtype: str) -> None:
    import gguf

    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    writer.add_name(name)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads or config.num_attention_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(float(_rope_theta(config)))
    writer.add_rope_dimension_count(head_dim)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32 if dtype == "f32" else gguf.LlamaFileType.MOSTLY_F16)


def _rope_theta(config: Any) -> float:
    params = getattr(config, "rope_parameters", None) or {}
    scaling = params.get("rope_type", "default") if isinstance(params, dict) else "default"
    if scaling not in ("default", None):
        raise ValueError(f"GGUF export: rope scaling {scaling!r} is not written by this exporter")
    theta = params.get("rope_theta") if isinstance(params, dict) else None
    return float(theta or getattr(config, "rope_theta", None) or 10000.0)


def _write_tokenizer(writer: Any, tokenizer: Any, vocab_size: int) -> None:
    import gguf

    backend = json.loads(tokenizer.backend_tokenizer.to_str())
    model = backend["model"]
    if model.get("type") != "BPE" or "ByteLevel" not in json.dumps(backend.get("pre_tokenizer")):
        raise ValueError(
            "GGUF export: only byte-level BPE tokenizers (GPT-2 style) are written by this exporter"
        )
    by_id = {index: token for token, index in tokenizer.get_vocab().items()}
    special = set(tokenizer.all_special_ids) | {
        t["id"] for t in backend.get("added_tokens", []) if t.get("special")
    }
    tokens, types = [], []
    for index in range(vocab_size):  # pad up to the embedding size, as llama.cpp does
        tokens.append(by_id.get(index, f"[PAD{index}]"))
        normal = index in by_id and index not in special
        types.append(gguf.TokenType.NORMAL if normal else gguf.TokenType.CONTROL)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    for setter, token_id in (
        (writer.add_bos_token_id, tokenizer.bos_token_id),
        (writer.add_eos_token_id, tokenizer.eos_token_id),
        (writer.add_pad_token_id, tokenizer.pad_token_id),
    ):
        if token_id is not None:
            setter(token_id)
    writer.add_add_bos_token(False)
    if getattr(tokenizer, "chat_template", None):
        writer.add_chat_template(tokenizer.chat_template)


def _tensors(model: Any, dtype: str) -> list[tuple[str, Any]]:
    import gguf
    import numpy as np

    config = model.config
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads or config.num_attention_heads
    out = []
    for hf_name, tensor in model.state_dict().items():
        if "rotary_emb" in hf_name:
            continue
        array = tensor.detach().float().cpu().numpy()
        if hf_name.endswith("q_proj.weight"):
            array = _permute(array, heads, heads)
        elif hf_name.endswith("k_proj.weight"):
            array = _permute(array, heads, kv_heads)
        gguf_name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if gguf_name is None:
            raise ValueError(f"GGUF export: no llama.cpp name for tensor {hf_name!r}")
        # norms stay F32 (llama.cpp's rule for 1-D tensors)
        out.append((gguf_name, array.astype(np.float16) if dtype == "f16" and array.ndim > 1 else array))
    return out


def _permute(weights: Any, n_head: int, n_head_kv: int) -> Any:
    """llama.cpp's rotary row order for Q/K (the inverse of what transformers' GGUF reader undoes)."""
    if n_head_kv != n_head:
        n_head = n_head_kv
    shape = weights.shape
    return weights.reshape(n_head, 2, shape[0] // n_head // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)
