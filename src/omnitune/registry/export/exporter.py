"""`omnitune models export REF --format adapter|merged|gguf|ollama --out DIR`.

The version's checksum is verified first; after writing, the exported files are loaded back the way
their consumers load them and the equivalence check must pass, else the export fails loudly.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from omnitune.registry.export.equivalence import EquivalenceReport, check_equivalence

ExportFormat = Literal["adapter", "merged", "gguf", "ollama"]
FORMATS: tuple[str, ...] = ("adapter", "merged", "gguf", "ollama")
EXPORT_RECORD = "omnitune_export.json"
TOLERANCE = {"adapter": 1e-4, "merged": 1e-3, "gguf-f32": 1e-3, "gguf-f16": 0.1}


class ExportResult(BaseModel):
    """What an export wrote and how it compared with the trained model."""

    source: str
    format: str
    path: str
    files: list[str]
    sha256: str
    equivalence: EquivalenceReport


def export_model(
    ref: str, fmt: str, out: Path, *, dtype: str = "f32", tolerance: float | None = None
) -> ExportResult:
    """Export a registered version (or a model directory) and check the result answers like it."""
    from omnitune.recipes.llm.models import load_model_and_tokenizer
    from omnitune.registry.references import resolve_model
    from omnitune.registry.versions import audit, verify
    from omnitune.services.models import artefact_sha256

    if fmt not in FORMATS:
        raise ValueError(f"export format {fmt!r}: use one of {', '.join(FORMATS)}")
    resolved = resolve_model(ref)
    if resolved.version is not None:
        verify(resolved.version.id)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; choose a new --out directory")
    out.mkdir(parents=True, exist_ok=True)
    source, tokenizer = load_model_and_tokenizer(resolved.path)
    source.eval()
    tol = (
        tolerance
        if tolerance is not None
        else TOLERANCE["gguf-" + dtype if fmt in ("gguf", "ollama") else fmt]
    )
    writer = {"adapter": _adapter, "merged": _merged, "gguf": _gguf, "ollama": _ollama}[fmt]
    report = writer(
        Path(resolved.path), source, tokenizer, out, dtype=dtype, tolerance=tol, name=resolved.label
    )
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    result = ExportResult(
        source=resolved.label,
        format=fmt,
        path=str(out),
        files=files,
        sha256=artefact_sha256(out),
        equivalence=report,
    )
    (out / EXPORT_RECORD).write_text(result.model_dump_json(indent=2), encoding="utf-8")
    if resolved.version is not None:
        audit(
            "export",
            resolved.version.ref,
            format=fmt,
            path=str(out),
            sha256=result.sha256,
            max_logit_diff=report.max_logit_diff,
        )
    return result


def _adapter(path: Path, source: Any, tokenizer: Any, out: Path, **kw: Any) -> EquivalenceReport:
    from omnitune.recipes.llm.models import is_adapter_dir, load_model_and_tokenizer

    if not is_adapter_dir(path):
        raise ValueError(f"{path} holds full weights, not a LoRA adapter; export 'merged' or 'gguf' instead")
    # the adapter as trained; a from-config base exists nowhere else, so its saved base/ goes along
    shutil.copytree(path, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns("merged", "evaluations"))
    exported, _ = load_model_and_tokenizer(str(out))
    return check_equivalence(
        source, exported.eval(), tokenizer, tolerance=kw["tolerance"], what="adapter export"
    )


def _merged_model(source: Any) -> Any:
    """Full weights: the adapter folded into its base (peft merge_and_unload), or the model itself."""
    return copy.deepcopy(source).merge_and_unload() if hasattr(source, "merge_and_unload") else source


def _merged(path: Path, source: Any, tokenizer: Any, out: Path, **kw: Any) -> EquivalenceReport:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _merged_model(source).save_pretrained(out)  # safetensors
    tokenizer.save_pretrained(out)
    exported = AutoModelForCausalLM.from_pretrained(out).eval()
    return check_equivalence(
        source,
        exported,
        tokenizer,
        exported_tokenizer=AutoTokenizer.from_pretrained(out),
        tolerance=kw["tolerance"],
        what="merged export",
    )


def _gguf(path: Path, source: Any, tokenizer: Any, out: Path, **kw: Any) -> EquivalenceReport:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from omnitune.registry.export.gguf_writer import write_gguf

    name = "model.gguf"
    write_gguf(_merged_model(source), tokenizer, out / name, name=kw["name"], dtype=kw["dtype"])
    # verified the way transformers reads GGUF: weights de-permuted, tokenizer rebuilt from metadata
    exported = AutoModelForCausalLM.from_pretrained(out, gguf_file=name).eval()
    exported_tokenizer = AutoTokenizer.from_pretrained(out, gguf_file=name)
    return check_equivalence(
        source,
        exported,
        tokenizer,
        exported_tokenizer=exported_tokenizer,
        tolerance=kw["tolerance"],
        what="GGUF export",
    )


def _ollama(path: Path, source: Any, tokenizer: Any, out: Path, **kw: Any) -> EquivalenceReport:
    from omnitune.registry.export.ollama import write_modelfile

    report = _gguf(path, source, tokenizer, out, **kw)
    write_modelfile(out, "model.gguf", tokenizer)
    return report


def read_export(directory: Path) -> dict[str, Any]:
    """The export record written beside an export."""
    result: dict[str, Any] = json.loads((directory / EXPORT_RECORD).read_text(encoding="utf-8"))
    return result
