"""Pipelines through the studio API against a real `omnitune serve`: a user starts a three-stage plan,
the driver runs it in dependency order, the graph (depths, edges, live job status) is theirs alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pipeline_helpers import STAGES, linear_pipeline_plan, studio_env, wait_settled
from studio_helpers import Studio, running_studio

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    with running_studio(tmp_path_factory.mktemp("studio"), studio_env()) as running:
        yield running


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json()["error"])


def test_a_pipeline_runs_as_a_graph_owned_by_its_user(studio: Studio) -> None:
    ada = studio.client(studio.cli("users", "add", "ada").strip())
    bob = studio.client(studio.cli("users", "add", "bob").strip())
    plan_id, data = linear_pipeline_plan(studio, ada.get("/api/me").json()["id"])
    url = "/api/training/pipelines"
    _bad_starts_name_the_field(studio, ada, bob, plan_id, data)

    started = ada.post(url, json={"plan_id": plan_id, "data": data, "max_steps": 3})
    assert started.status_code == 200, started.text
    graph = started.json()
    assert [(s["name"], s["depth"]) for s in graph["stages"]] == [("left", 0), ("right", 0), ("joined", 1)]
    assert graph["edges"] == [{"from": "left", "to": "joined"}, {"from": "right", "to": "joined"}]
    assert graph["state"] == "running" and graph["stages"][2]["state"] == "pending"

    done = wait_settled(ada, graph["id"])
    assert done["state"] == "succeeded", done
    assert done["stages_done"] == len(STAGES) == 3
    for stage in done["stages"]:
        assert stage["state"] == "succeeded" and stage["model_version"], stage
        assert stage["job"] == {**stage["job"], "state": "succeeded", "step": 3, "max_steps": 3}
    jobs = {j["id"] for j in ada.get("/api/training/jobs").json()["jobs"]}
    assert {s["job_id"] for s in done["stages"]} <= jobs  # stage jobs belong to the pipeline's owner

    assert [p["id"] for p in ada.get(url).json()["pipelines"]] == [graph["id"]]
    assert bob.get(url).json()["pipelines"] == []
    assert _error(bob.get(f"{url}/{graph['id']}"), 404)["code"] == "not_found"
    assert _error(bob.get(f"{url}/{graph['id'][:4]}"), 404)  # no prefix lookups across users
    assert [p["id"] for p in studio.client().get(url).json()["pipelines"]] == [graph["id"]]  # admin


def _bad_starts_name_the_field(
    studio: Studio, ada: httpx.Client, bob: httpx.Client, plan_id: str, data: dict[str, str]
) -> None:
    url = "/api/training/pipelines"
    outside = {**data, "left": "/etc"}
    assert _error(ada.post(url, json={"plan_id": plan_id, "data": outside}), 422)["field"] == "data.left"
    escape = {**data, "right": f"{studio.data_dir}/../serve.log"}
    assert _error(ada.post(url, json={"plan_id": plan_id, "data": escape}), 422)["field"] == "data.right"
    unknown = {**data, "nowhere": data["left"]}
    assert _error(ada.post(url, json={"plan_id": plan_id, "data": unknown}), 422)["field"] == "data"
    missing = {k: v for k, v in data.items() if k != "joined"}
    assert "joined" in _error(ada.post(url, json={"plan_id": plan_id, "data": missing}), 422)["message"]
    models = {"plan_id": plan_id, "data": data, "base_models": {"drummer": "omnitune/tiny-llama"}}
    assert _error(ada.post(url, json=models), 422)["field"] == "base_models"
    assert (
        _error(ada.post(url, json={"plan_id": plan_id, "data": data, "max_steps": 0}), 422)["field"]
        == "max_steps"
    )
    assert _error(ada.post(url, json={"plan_id": plan_id, "colour": "red"}), 422)["field"] == "colour"
    assert _error(bob.post(url, json={"plan_id": plan_id, "data": data}), 404)["code"] == "not_found"
    assert _error(ada.post(url, json={"plan_id": "nope", "data": data}), 404)
    assert ada.get(url).json()["pipelines"] == []  # nothing half-made was left behind
