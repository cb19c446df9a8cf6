"""Loaded by worker subprocesses of the runtime tests (on their PYTHONPATH): registers test recipes.

With OMNITUNE_TEST_CREDENTIAL_PROBE set, it also writes the sha256 of each credential variable
the process sees to that file (hashes only, so the probe itself never puts a secret on disk).
"""

import hashlib
import json
import os

from omnitune.recipes.registry import RECIPES

RECIPES.setdefault("test_linear", "recipes_for_tests:LinearRecipe")

_PROBE = os.environ.get("OMNITUNE_TEST_CREDENTIAL_PROBE")
_CREDENTIAL_VARS = ("HF_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "RUNPOD_API_KEY")
if _PROBE:
    present = [k for k in _CREDENTIAL_VARS if k in os.environ]
    seen = {k: hashlib.sha256(os.environ[k].encode()).hexdigest() for k in present}
    with open(_PROBE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"pid": os.getpid(), "cwd": os.getcwd(), "seen": seen}) + "\n")
