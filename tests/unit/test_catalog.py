"""The catalog data: every entry well-formed and routable; hardware and prices consistent."""

from __future__ import annotations

import pytest

from omnitune.catalog import get_model, load_models
from omnitune.catalog.hardware import get_gpu, load_hardware, load_prices
from omnitune.catalog.recipes import RECIPE_METHODS, recipe_for
from omnitune.types import Method, RecipeKey, modality_of

# Entries that honestly serve a task of another modality (a frame-wise image upscaler for video ...).
CROSS_MODAL = {"real-esrgan-video": {"super_resolution", "image_restoration"}, "xtts-v2": {"multilingual"}}


def test_every_entry_names_known_tasks_methods_and_a_recipe_that_lists_them() -> None:
    models = load_models()
    assert len(models) > 100
    for m in models.values():
        assert m.tasks and m.methods, m.id
        foreign = {t.value for t in m.tasks if modality_of(t) is not m.modality}
        assert foreign <= CROSS_MODAL.get(m.id, set()), (m.id, foreign)
        assert m.params_b > 0 and m.license and m.library, m.id
        if m.trainable:
            assert any(meth in RECIPE_METHODS[m.recipe] for meth in m.methods), m.id
            for method in m.methods:
                key = recipe_for(m, method)
                assert key is not None and method in RECIPE_METHODS[key], (m.id, method)


def test_untrainable_entries_name_a_trainable_route_or_say_they_are_used_pretrained() -> None:
    for m in load_models().values():
        if not m.trainable:
            assert m.notes, m.id
            if m.nearest_trainable:
                assert load_models()[m.nearest_trainable].trainable, m.id


def test_tiny_from_config_entries_cover_every_recipe_and_keep_the_shared_ones() -> None:
    tiny = [m for m in load_models().values() if m.from_config is not None or m.id == "omnitune/minilm"]
    covered = {recipe_for(m, meth) for m in tiny for meth in m.methods}
    assert covered >= set(RecipeKey), set(RecipeKey) - covered
    llama = get_model("omnitune/tiny-llama")
    assert (
        llama.from_config and llama.from_config["model_type"] == "llama" and llama.recipe is RecipeKey.LLM_SFT
    )
    assert get_model("omnitune/minilm").hub_id == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.parametrize(
    "name",
    [
        "llama-3.1-8b-instruct",
        "flux.1-dev",
        "wan2.1-t2v-1.3b",
        "musicgen-small",
        "whisper-large-v3",
        "qwen2-vl-7b-instruct",
        "so-vits-svc",
        "xtts-v2",
    ],
)
def test_seed_models_are_present(name: str) -> None:
    assert get_model(name).id == name


def test_get_model_accepts_hub_ids_and_suggests_close_ids() -> None:
    assert get_model("openai/whisper-small").id == "whisper-small"
    with pytest.raises(KeyError, match="did you mean"):
        get_model("whisper-smal")


def test_hardware_and_prices_are_consistent() -> None:
    hardware, prices = load_hardware(), load_prices()
    assert set(hardware) == set(prices.gpus)
    assert prices.gpus["cpu"] == {"local": 0.0}
    for gpu in hardware.values():
        assert gpu.memory_gb > 0 and gpu.bf16_tflops > 0
        assert all(price >= 0 for price in prices.gpus[gpu.id].values())
    assert prices.cheapest("h100")[1] == min(v for p, v in prices.gpus["h100"].items() if p != "local")
    for name in ("RTX 4090", "4090", "NVIDIA A100 80GB", "h100"):
        assert get_gpu(name).id in hardware
    with pytest.raises(KeyError, match="known"):
        get_gpu("voodoo-5")
    assert Method.QLORA in RECIPE_METHODS[RecipeKey.LLM_SFT]
