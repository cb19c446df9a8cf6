"""Rendering chat messages to text: the tokenizer's own chat template, else omnitune's default (ChatML)."""

from __future__ import annotations

import json
from typing import Any

# ChatML: documented in docs/data.md; `render_chat` without a template produces exactly this.
DEFAULT_CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
    "{%- if message['role'] == 'assistant' -%}{%- generation -%}"  # marks the trained tokens (trl masks)
    "{{- message['content'] -}}"
    "{%- if message['tool_calls'] is defined and message['tool_calls'] -%}"
    "{%- for call in message['tool_calls'] -%}"
    "{{- '\\n<tool_call>\\n' + (call | tojson) + '\\n</tool_call>' -}}"
    "{%- endfor -%}"
    "{%- endif -%}"
    "{{- '<|im_end|>' -}}{%- endgeneration -%}{{- '\\n' -}}"
    "{%- else -%}{{- message['content'] + '<|im_end|>\\n' -}}{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)


def has_chat_template(tokenizer: Any) -> bool:
    """True when a tokenizer carries its own chat template."""
    return bool(getattr(tokenizer, "chat_template", None))


def ensure_chat_template(tokenizer: Any) -> Any:
    """Give a tokenizer without a chat template the default one (so trl renders as we document)."""
    if not has_chat_template(tokenizer):
        tokenizer.chat_template = DEFAULT_CHAT_TEMPLATE
    return tokenizer


def _default(messages: list[dict[str, Any]], add_generation_prompt: bool) -> str:
    parts = []
    for m in messages:
        text = f"<|im_start|>{m['role']}\n{m['content']}"
        for call in m.get("tool_calls") or ():
            text += f"\n<tool_call>\n{json.dumps(call, ensure_ascii=False)}\n</tool_call>"
        parts.append(text + "<|im_end|>\n")
    if add_generation_prompt:
        parts.append("<|im_start|>assistant\n")
    return "".join(parts)


def render_chat(
    messages: list[dict[str, Any]], tokenizer: Any = None, *, add_generation_prompt: bool = False
) -> str:
    """Messages as the text the model trains on: the tokenizer's template if it has one, else ChatML."""
    if has_chat_template(tokenizer):
        return str(
            tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=add_generation_prompt
            )
        )
    return _default(messages, add_generation_prompt)
