"""Part 2 of the demo: one prompt answered by the base model and by the fine-tuned one."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def answer(model: Any, tokenizer: Any, question: str, max_new_tokens: int = 24) -> str:
    """Greedy answer to one user turn, using the tokenizer's chat template."""
    import torch

    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True
    )
    inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                                pad_token_id=tokenizer.pad_token_id)
    return str(tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)).strip()


def base_and_tuned(artefact: Path, base_model: str, seed: int = 42) -> tuple[Any, Any, Any]:
    """(base, tuned, tokenizer): the base rebuilt exactly as training started (same config, seed)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from omnitune.recipes.llm.models import load_model_and_tokenizer

    tokenizer = AutoTokenizer.from_pretrained(artefact)
    tuned = AutoModelForCausalLM.from_pretrained(artefact).eval()
    base, _ = load_model_and_tokenizer(base_model, tokenizer=tokenizer, seed=seed)
    return base.eval(), tuned, tokenizer
