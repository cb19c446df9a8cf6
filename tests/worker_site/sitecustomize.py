"""Loaded by worker subprocesses of the runtime tests (on their PYTHONPATH): registers test recipes."""

from omnitune.recipes.registry import RECIPES

RECIPES.setdefault("test_linear", "recipes_for_tests:LinearRecipe")
