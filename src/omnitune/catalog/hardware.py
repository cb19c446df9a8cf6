"""Hardware and price catalog: GPU types with memory/throughput, and hourly prices per provider."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, Field


class GpuType(BaseModel):
    """One accelerator type."""

    id: str
    name: str
    memory_gb: float = Field(..., gt=0)
    bf16_tflops: float = Field(..., gt=0, description="Dense bf16/fp16 tensor throughput.")
    bf16: bool = True
    aliases: list[str] = Field(default_factory=list)


class Prices(BaseModel):
    """Hourly prices per GPU and provider, plus storage and platform fee."""

    storage_usd_per_gb_month: float = Field(0.0, ge=0)
    platform_fee_fraction: float = Field(0.0, ge=0, le=1)
    gpus: dict[str, dict[str, float]]

    def cheapest(self, gpu_id: str) -> tuple[str, float]:
        """(provider, hourly USD) of the cheapest paid offer, or ('local', 0) when only owned."""
        offers = self.gpus.get(gpu_id, {})
        paid = {p: v for p, v in offers.items() if p != "local"}
        if not paid:
            return "local", 0.0
        provider = min(paid, key=lambda p: paid[p])
        return provider, paid[provider]


def _read(name: str) -> object:
    text = resources.files("omnitune.catalog").joinpath(name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@lru_cache(maxsize=1)
def load_hardware() -> dict[str, GpuType]:
    """All GPU types by id (cpu included), in file order: smallest first."""
    raw = _read("hardware.yaml") or []
    assert isinstance(raw, list), "hardware.yaml: expected a list of GPU types"
    return {g.id: g for g in (GpuType.model_validate(item) for item in raw)}


@lru_cache(maxsize=1)
def load_prices() -> Prices:
    """The price table from prices.yaml."""
    return Prices.model_validate(_read("prices.yaml"))


def get_gpu(name: str) -> GpuType:
    """The GPU type for an id or alias ('4090', 'A100 80GB'), or a KeyError listing known ids."""
    hardware = load_hardware()
    key = normalise_gpu_name(name)
    if key in hardware:
        return hardware[key]
    for gpu in hardware.values():
        if key in (normalise_gpu_name(a) for a in gpu.aliases):
            return gpu
    raise KeyError(f"unknown GPU {name!r}; known: {', '.join(hardware)}")


def normalise_gpu_name(name: str) -> str:
    """Lower-case, 'nvidia' dropped, spaces/underscores as '-' ('NVIDIA RTX 4090' -> 'rtx-4090')."""
    text = re.sub(r"\bnvidia\b|\bgeforce\b", "", name.lower()).strip()
    return re.sub(r"[\s_]+", "-", text)
