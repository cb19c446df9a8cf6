"""llm_sft through the real runtime: a worker killed with -9 resumes to the same weights (LoRA, full)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from llm_sft_helpers import BASE, make_context, run_recipe

from omnitune.plan.schema import ModelChoice, Training, TrainingPlan
from omnitune.recipes.checkpointing import latest_checkpoint
from omnitune.runtime.events import iter_events
from omnitune.runtime.jobdir import JobDir
from omnitune.runtime.process import wait_gone
from omnitune.services import jobs
from omnitune.types import JobState, Method

pytestmark = pytest.mark.slow

# dropout so the restored RNG matters; checkpoints every 2 of 8 steps; one thread keeps it comparable
CASES = {
    "lora": {"learning_rate": 1e-2, "lora_r": 8, "lora_dropout": 0.1},
    "full_finetune": {"learning_rate": 3e-3, "freeze_layers": 1},
}
COMMON = {"batch_size": 32, "gradient_accumulation": 2, "max_steps": 8, "save_steps": 2, "num_threads": 1}


def _weights(out: Path) -> dict[str, object]:
    from safetensors.torch import load_file

    name = "adapter_model.safetensors" if (out / "adapter_config.json").exists() else "model.safetensors"
    return load_file(str(out / name))


def _kill_after_first_checkpoint(job: jobs.JobRecord, timeout: float = 240.0) -> Path:
    checkpoints = JobDir(Path(job.job_dir)).checkpoints_dir
    deadline = time.monotonic() + timeout
    while (ckpt := latest_checkpoint(checkpoints)) is None:
        assert time.monotonic() < deadline, "no checkpoint in time"
        assert jobs.get(job.id).state is JobState.RUNNING, jobs.get(job.id)
        time.sleep(0.05)
    pid = jobs.get(job.id).pid
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    assert wait_gone(pid, None, 10)
    return ckpt


@pytest.mark.parametrize("method", sorted(CASES))
def test_worker_killed_with_9_resumes_to_the_weights_of_a_straight_run(tmp_path: Path, method: str) -> None:
    import torch

    hp = {**COMMON, **CASES[method]}
    ctx, _ = make_context(tmp_path / "straight", method, hp)
    straight = run_recipe(ctx)
    assert straight.status == "completed" and straight.step == 8

    plan = TrainingPlan(
        models=[ModelChoice(role="llm", base_model=BASE, method=Method(method), recipe="llm_sft")],
        training=Training(hyperparameters=hp),
    )
    job = jobs.submit(plan, data_dir=ctx.data_dir, register=False)
    assert jobs.start(job.id)
    first = _kill_after_first_checkpoint(job)
    assert not (Path(job.job_dir) / "output").exists(), "the job finished before it could be killed"

    done = jobs.run_foreground(job.id)

    assert done.state is JobState.SUCCEEDED and done.step == 8, done.reason
    runs = [
        e
        for e in iter_events(JobDir(Path(job.job_dir)).events_file)
        if e["event"] == "state" and e["state"] == "running"
    ]
    assert len(runs) == 2 and runs[1]["resume_from"] is not None
    assert int(Path(runs[1]["resume_from"]).name.split("-")[1]) >= int(first.name.split("-")[1])
    expected, actual = _weights(ctx.output_dir), _weights(Path(job.job_dir) / "output")
    assert expected.keys() == actual.keys() and expected
    for name, tensor in expected.items():
        assert torch.allclose(tensor, actual[name], atol=1e-6, rtol=0), name  # type: ignore[arg-type]
    for key in ("initial_loss", "final_loss", "eval_loss_before", "eval_loss_after"):
        assert done.metrics[key] == pytest.approx(straight.metrics[key], abs=1e-5), key
