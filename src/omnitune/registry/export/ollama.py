"""An Ollama Modelfile for an exported GGUF, with the model's chat template translated to Ollama's Go
template and checked: the translation must render the same text as the tokenizer's own template."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CONTENT = "\x1fCONTENT\x1f"
_CHECK_CHATS = (
    [{"role": "user", "content": "Hi there"}],
    [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Name a colour."},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": "Another?"},
    ],
)


@dataclass
class TurnTemplate:
    """A chat template that wraps every turn the same way: ``prefix(role) + content + suffix``."""

    prefix: str  # contains the literal role "user", replaced per turn
    suffix: str
    generation: str  # appended when a reply is wanted

    def render(self, messages: list[dict[str, str]]) -> str:
        """Render like the Go template does."""
        turns = (self.prefix.replace("user", m["role"]) + m["content"] + self.suffix for m in messages)
        return "".join(turns) + self.generation

    def go_template(self) -> str:
        """The Ollama (Go text/template) form."""
        prefix = _go_escape(self.prefix).replace("user", "{{ .Role }}")
        return (
            "{{- range .Messages }}"
            + prefix
            + "{{ .Content }}"
            + _go_escape(self.suffix)
            + "{{ end }}"
            + _go_escape(self.generation)
        )


def turn_template(tokenizer: Any) -> TurnTemplate:
    """Derive the per-turn wrapping from the tokenizer's chat template, and prove it renders the same."""
    one = tokenizer.apply_chat_template([{"role": "user", "content": _CONTENT}], tokenize=False)
    with_prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": _CONTENT}], tokenize=False, add_generation_prompt=True
    )
    prefix, _, suffix = one.partition(_CONTENT)
    template = TurnTemplate(prefix, suffix, with_prompt[len(one) :])
    for chat in _CHECK_CHATS:
        expected = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        if template.render(chat) != expected:
            raise ValueError(
                "Ollama Modelfile: this chat template treats roles differently, "
                "so it cannot be written as one "
                f"per-turn Go template; expected {expected!r}, got {template.render(chat)!r}"
            )
    return template


def write_modelfile(directory: Path, gguf_name: str, tokenizer: Any, system: str | None = None) -> Path:
    """Write ``Modelfile`` beside the GGUF: FROM, TEMPLATE, stop tokens, optional SYSTEM."""
    template = turn_template(tokenizer)
    lines = [f"FROM ./{gguf_name}", f'TEMPLATE """{template.go_template()}"""']
    for stop in _stops(tokenizer, template):
        lines.append(f'PARAMETER stop "{stop}"')
    if system:
        lines.append(f'SYSTEM """{system}"""')
    path = directory / "Modelfile"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _stops(tokenizer: Any, template: TurnTemplate) -> list[str]:
    stops = [tokenizer.eos_token] if tokenizer.eos_token else []
    end = template.suffix.strip()
    return stops + ([end] if end and end not in stops else [])


def _go_escape(text: str) -> str:
    return text.replace("{{", '{{ "{{" }}')
