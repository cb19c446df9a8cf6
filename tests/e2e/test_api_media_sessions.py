"""Media side-by-side sessions through HTTP against a real `omnitune serve`: a tiny image LoRA, SpeechT5
voice, MusicGen LoRA and Wan image-to-video LoRA each answer a prompt with files beside their base; a
rating grows the media preference set; files stay private to the session's owner and are deleted when it
closes; a video session starts from its held-out clip's first frame or from an uploaded one."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from media_versions import image_lora, music_lora, register, speech_voice, using_home, video_lora
from studio_helpers import Studio, running_studio

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KINDS = {"image": (image_lora, "stripes", "png"), "speech": (speech_voice, "voice", "wav"),
         "music": (music_lora, "tunes", "wav"), "video": (video_lora, "clips", "mp4")}  # fmt: skip
MEDIA_TYPES = {"png": "image/png", "wav": "audio/wav", "mp4": "video/mp4"}


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    with running_studio(tmp_path_factory.mktemp("studio"), {"OMP_NUM_THREADS": "1"}) as running:
        yield running


@pytest.fixture(scope="module")
def versions(studio: Studio, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """kind -> id of a tiny trained version registered in the studio's store (the admin sees it)."""
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("media-versions")
    trained = {kind: train(root / kind) for kind, (train, _, _) in KINDS.items()}
    with using_home(studio.home):
        return {kind: register(trained[kind], KINDS[kind][1]).id for kind in KINDS}


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json()["error"])


def _decode(kind: str, data: bytes) -> tuple[int, ...]:
    """The decoded shape of a served file: (height, width) of a PNG, (samples,) of a WAV, (frames, height,
    width, 3) of an MP4."""
    if kind == "video":
        import av
        import numpy as np

        with av.open(io.BytesIO(data)) as container:
            return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).shape
    if kind == "image":
        from PIL import Image

        image = Image.open(io.BytesIO(data))
        assert image.format == "PNG"
        image.load()
        return image.size
    import soundfile

    audio, rate = soundfile.read(io.BytesIO(data))
    assert rate >= 8000 and len(audio) > 0 and abs(audio).max() > 0
    return (len(audio),)


@pytest.mark.parametrize("kind", list(KINDS))
def test_media_session_run_files_rate_isolation_and_close(
    studio: Studio, versions: dict[str, str], kind: str
) -> None:
    client = studio.client()
    session = client.post("/api/training/test/deploy", json={"model_id": versions[kind]})
    assert session.status_code == 200, session.text
    assert session.json()["modality"] == kind
    sid = session.json()["session_id"]
    prompt = "hello there" if kind == "speech" else "a striped pattern"
    out = client.post("/api/training/test/run", json={"session_id": sid, "prompt": prompt, "seconds": 0.1})
    assert out.status_code == 200, out.text
    output = out.json()
    files = {side: client.get(output[side]["url"]) for side in ("base", "fine_tuned")}
    for side, response in files.items():
        assert response.status_code == 200, response.text
        expected = MEDIA_TYPES[KINDS[kind][2]]
        assert response.headers["content-type"] == expected == output[side]["media_type"]
        assert output[side]["latency_s"] > 0
        _decode(kind, response.content)
    assert files["base"].content != files["fine_tuned"].content  # training changed the model

    _rate_grows_the_media_set(studio, client, sid, output, files)
    _other_user_and_bad_names_are_refused(studio, sid, output)
    _closing_deletes_the_files(studio, client, sid, output)


def _rate_grows_the_media_set(
    studio: Studio, client: httpx.Client, sid: str, output: dict[str, Any], files: dict[str, httpx.Response]
) -> None:
    me = client.get("/api/me").json()["id"]
    media_set = studio.home / "preferences" / f"{me}.media.jsonl"
    before = len(media_set.read_text().splitlines()) if media_set.is_file() else 0
    rate = {
        "session_id": sid,
        "prompt": output["prompt"],
        "chosen": "fine_tuned",
        "output_id": output["output_id"],
    }
    rated = client.post("/api/training/test/rate", json=rate)
    assert rated.status_code == 200, rated.text
    assert rated.json() == {"preference_pairs": before + 1}
    record = json.loads(media_set.read_text().splitlines()[-1])
    assert record["prompt"] == output["prompt"] and record["chosen_side"] == "fine_tuned"
    assert Path(record["chosen"]).read_bytes() == files["fine_tuned"].content
    assert Path(record["rejected"]).read_bytes() == files["base"].content
    unknown = {**rate, "output_id": "0123456789ab"}
    assert _error(client.post("/api/training/test/rate", json=unknown), 422)["field"] == "output_id"
    assert _error(client.post("/api/training/test/rate", json={**rate, "output_id": "../x"}), 422)
    assert not (studio.home / "preferences" / f"{me}.jsonl").exists()  # the text DPO set is untouched


def _other_user_and_bad_names_are_refused(studio: Studio, sid: str, output: dict[str, Any]) -> None:
    client = studio.client()
    name = f"mallory-{sid}"
    other = studio.client(studio.cli("users", "add", name).strip())
    assert _error(other.get(f"/api/training/test/sessions/{sid}"), 404)["code"] == "not_found"
    assert _error(other.get(output["base"]["url"]), 404)["code"] == "not_found"
    run = {"session_id": sid, "prompt": "mine now"}
    assert _error(other.post("/api/training/test/run", json=run), 404)
    assert _error(other.delete(f"/api/training/test/sessions/{sid}"), 404)
    files = f"/api/training/test/sessions/{sid}/files"
    for name in (
        "..%2F..%2Fvault.key",
        "..%2Fserve.log",
        "%2Fetc%2Fpasswd",
        "abc.png",
        "0123456789ab-base.exe",
    ):
        response = client.get(f"{files}/{name}")
        assert response.status_code in (404, 422), (name, response.text)
        assert response.json()["error"], name
    assert _error(client.get(f"{files}/0123456789ab-base.png"), 404)["code"] == "not_found"


def _closing_deletes_the_files(
    studio: Studio, client: httpx.Client, sid: str, output: dict[str, Any]
) -> None:
    folder = studio.home / "test_sessions" / sid
    assert len(list(folder.iterdir())) == 2
    assert client.delete(f"/api/training/test/sessions/{sid}").status_code == 204
    assert not folder.exists()
    assert _error(client.get(output["fine_tuned"]["url"]), 404)
    assert _error(client.get(f"/api/training/test/sessions/{sid}"), 404)


def test_media_session_bad_input_names_the_field(studio: Studio, versions: dict[str, str]) -> None:
    client = studio.client()
    sid = client.post("/api/training/test/deploy", json={"model_id": versions["speech"]}).json()["session_id"]
    voice = {"session_id": sid, "prompt": "hi", "voice": "nobody"}
    assert _error(client.post("/api/training/test/run", json=voice), 422)["field"] == "voice"
    unrun = {"session_id": sid, "prompt": "never said", "chosen": "base"}
    assert _error(client.post("/api/training/test/rate", json=unrun), 422)["field"] == "prompt"
    assert (
        _error(client.post("/api/training/test/run", json={"session_id": sid, "prompt": ""}), 422)["field"]
        == "prompt"
    )
    assert _error(client.post("/api/training/test/deploy", json={"model_id": "nope"}), 404)
    still = {"session_id": sid, "prompt": "hi", "image": base64.b64encode(_png()).decode()}
    assert _error(client.post("/api/training/test/run", json=still), 422)["field"] == "image"
    assert client.delete(f"/api/training/test/sessions/{sid}").status_code == 204


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (250, 250, 250)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_video_session_first_frames(studio: Studio, versions: dict[str, str]) -> None:
    client = studio.client()
    sid = client.post("/api/training/test/deploy", json={"model_id": versions["video"]}).json()["session_id"]
    run = {"session_id": sid, "prompt": "a clip in colour 3", "seed": 5}
    default = client.post("/api/training/test/run", json=run).json()
    assert default["seed"] == 5 and default["base"]["first_frame"] == default["fine_tuned"]["first_frame"]
    assert default["fine_tuned"]["first_frame"].startswith("held-out clip videos/3/")  # the validation clip
    assert _decode("video", client.get(default["base"]["url"]).content) == (9, 16, 16, 3)
    still = "data:image/png;base64," + base64.b64encode(_png((40, 24))).decode()
    uploaded = client.post("/api/training/test/run", json={**run, "image": still})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["fine_tuned"]["first_frame"] == "uploaded"
    white = client.get(uploaded.json()["fine_tuned"]["url"]).content
    assert white != client.get(default["fine_tuned"]["url"]).content  # it started from the upload
    for bad in ("not base64!", base64.b64encode(b"plain text").decode()):
        error = _error(client.post("/api/training/test/run", json={**run, "image": bad}), 422)
        assert error["field"] == "image" and "image" in error["message"]
    rate = {"session_id": sid, "prompt": run["prompt"], "chosen": "base"}
    assert client.post("/api/training/test/rate", json=rate).status_code == 200
    assert client.delete(f"/api/training/test/sessions/{sid}").status_code == 204
