"""A named tiny model whose pipeline does not do the request's task gives way to its tiny counterpart."""

from __future__ import annotations

from omnitune.catalog import get_model
from omnitune.plan.builder import build_plan
from omnitune.plan.selection import tiny_counterpart
from omnitune.types import RecipeKey, Task


def test_animate_my_photos_on_tiny_wan_plans_the_image_to_video_entry() -> None:
    plan = build_plan("animate my photos into short clips", base_model="omnitune/tiny-wan")
    choice = plan.models[0]
    assert (choice.base_model, choice.recipe) == ("omnitune/tiny-wan-i2v", RecipeKey.VIDEO_LORA)
    assert get_model(choice.base_model).from_config["image_to_video"] is True
    assert any("tiny-wan-i2v" in w and "image_to_video" in w for w in plan.warnings)


def test_a_named_model_that_lists_the_task_is_kept() -> None:
    plan = build_plan("fine-tune a text-to-video model on my clips", base_model="omnitune/tiny-wan")
    assert plan.models[0].base_model == "omnitune/tiny-wan"
    hub = get_model("wan2.1-t2v-1.3b")  # only tiny from-config entries are swapped
    assert tiny_counterpart(hub, Task.IMAGE_TO_VIDEO) is hub
    llama = get_model("omnitune/tiny-llama")  # no tiny entry of its recipe lists the task: kept
    assert tiny_counterpart(llama, Task.IMAGE_TO_VIDEO) is llama
