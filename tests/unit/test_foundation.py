"""The closed vocabularies, the plan contract and the lazy-import rule."""

from __future__ import annotations

import json
import subprocess
import sys

from omnitune.plan.schema import TrainingPlan
from omnitune.types import TASKS_BY_MODALITY, Modality, Task, modality_of


def test_every_task_belongs_to_exactly_one_modality() -> None:
    grouped = [t for tasks in TASKS_BY_MODALITY.values() for t in tasks]
    assert sorted(grouped) == sorted(Task)
    assert len(grouped) == len(set(grouped))
    assert modality_of(Task.TEXT_CLASSIFICATION) is Modality.LLM
    assert modality_of(Task.IMAGE_CLASSIFICATION) is Modality.IMAGE
    assert modality_of(Task.VIDEO_CLASSIFICATION) is Modality.VIDEO
    assert modality_of(Task.AUDIO_CLASSIFICATION) is Modality.AUDIO
    assert modality_of(Task.SINGING_VIDEO) is Modality.MULTIMODAL


def test_plan_round_trips_through_json_with_contract_keys() -> None:
    plan = TrainingPlan(request="train a model")
    data = json.loads(plan.to_json())
    for key in ("id", "schema_version", "created_at", "request", "interpreter", "intent",
                "capabilities", "models", "pipeline", "data", "training", "estimates",
                "steps", "questions", "warnings", "alternatives", "feasibility"):
        assert key in data, key
    assert data["schema_version"] == "1"
    assert data["capabilities"]["modality"] is None
    assert set(data["estimates"]["cost_usd"]) == {"gpu", "storage", "platform_fee", "total"}
    assert TrainingPlan.model_validate_json(plan.to_json()) == plan


def test_importing_omnitune_and_the_cli_does_not_import_torch() -> None:
    code = "import sys, omnitune, omnitune.cli.main; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_help_runs_without_torch() -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom omnitune.cli.main import app\n"
        "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
