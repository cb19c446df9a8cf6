"""A video LoRA version (or its base) generating MP4 clips for side-by-side sessions and `models compare`.

The pipeline is loaded as ``omnitune eval`` loads it (``evaluate.video_generation.load_video``: the
artefact's saved ``base/``, the rebuilt catalog base or the base id, plus the LoRA for the version).
An image-to-video version starts every clip from a first frame: one sent with the request, else its
default, the first frame of the first held-out clip of the version's training data (the validation
split, else the recipes' seeded 25%), read at the plan's size exactly as the evaluator reads it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import tempfile
import threading
from pathlib import Path
from typing import Any

from omnitune.serving.media import MAX_IMAGE_SIDE, MediaRequestError, Rendered
from omnitune.store.records import ModelVersionRecord


class VideoClipModel:
    """A loaded video pipeline (``recipes.video.pipelines.VideoModel``) and its default first frame."""

    kind, engine = "video", "diffusers"

    def __init__(self, name: str, video: Any, first_frame: Any = None, first_frame_source: str = "") -> None:
        self.name, self.video = name, video
        self.first_frame, self.first_frame_source = first_frame, first_frame_source
        self.lock = threading.Lock()

    @property
    def image_conditioned(self) -> bool:
        """True for an image-to-video pipeline (every clip starts from a first frame)."""
        return bool(self.video.objective.image_conditioned)

    def animate(self, prompt: str, seed: int, steps: int | None, image: Any, source: str) -> Rendered:
        """An MP4 clip for ``prompt`` at the plan's frames, size and fps (image-to-video: from ``image``)."""
        from omnitune.recipes.media_inputs import write_mp4

        hp = self.video.hp
        steps = int(steps or hp["sample_steps"])
        start = image if self.image_conditioned else None
        if self.image_conditioned and start is None:
            raise MediaRequestError(f"{self.name} animates a first frame; send one as `image`", "image")
        with self.lock:
            frames = self.video.generate(prompt, steps, float(hp["sample_guidance"]), seed, image=start)
        with tempfile.TemporaryDirectory() as workdir:
            clip = write_mp4(frames, Path(workdir) / "clip.mp4", int(hp["fps"])).read_bytes()
        size = f"{frames.shape[2]}x{frames.shape[1]}"
        details = {"frames": int(frames.shape[0]), "size": size, "fps": int(hp["fps"]), "steps": steps,
                   "first_frame": source if start else None}  # fmt: skip
        return Rendered([clip], "video/mp4", 0, details)


def load_video_version(version: ModelVersionRecord, with_lora: bool = True) -> VideoClipModel:
    """The version (``with_lora``) or its base, with the version's default first frame when it needs one."""
    from omnitune.evaluate.media import training_seed
    from omnitune.evaluate.video_generation import load_video, video_hyperparameters

    seed = training_seed(version)
    video = load_video(version, video_hyperparameters(version), seed, with_lora)
    name = version.ref if with_lora else version.base_model
    if not video.objective.image_conditioned:
        return VideoClipModel(name, video)
    return VideoClipModel(name, video, *default_first_frame(version, video, seed))


def default_first_frame(version: ModelVersionRecord, video: Any, seed: int) -> tuple[Any, str]:
    """(first frame of the first held-out clip of the version's data, where it came from), else
    (None, why there is none)."""
    from omnitune.recipes.media_inputs import require, train_and_heldout
    from omnitune.recipes.video.pipelines import VideoLatents

    data = training_data(version)
    if data is None:
        return None, f"{version.ref} records no prepared dataset that still exists"
    try:
        _, held = train_and_heldout(data, seed)
        require(held[:1], ("video",), f"{data} (held-out clips)")
        image = VideoLatents(video, data, video.hp).first_frame(held[0])
    except (OSError, ValueError) as exc:
        return None, f"its training data {data} gave no first frame ({exc})"
    return image, f"held-out clip {held[0]['video']} of {data}"


def training_data(version: ModelVersionRecord) -> Path | None:
    """The prepared dataset the version trained on: its job's ``data_dir``, else its plan's ``data.path``."""
    from omnitune.runtime.jobdir import JobDir
    from omnitune.store import jobs, plans

    candidates: list[str] = []
    if version.job_id:
        with contextlib.suppress(KeyError, FileNotFoundError):
            candidates.append(JobDir(Path(jobs.get_job(version.job_id).job_dir)).read_spec().data_dir)
    if version.plan_id:
        with contextlib.suppress(KeyError):
            candidates.append(plans.get_plan(version.plan_id).data.path or "")
    return next((Path(c) for c in candidates if c and (Path(c) / "manifest.json").is_file()), None)


def decode_first_frame(data: str) -> Any:
    """A base64 PNG or JPEG (a ``data:image/...;base64,`` URL works too) as an RGB PIL image."""
    payload = data.split(",", 1)[1] if data.startswith("data:") else data
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MediaRequestError(
            f"image: not base64 ({exc}); send the file's bytes base64-encoded", "image"
        ) from None
    return first_frame_from_bytes(raw, "image")


def first_frame_from_bytes(raw: bytes, where: str) -> Any:
    """Decode an image file's bytes as an RGB PIL image; ``where`` (the field or file) is named on error."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw))
        if max(image.size) > MAX_IMAGE_SIDE:
            raise ValueError(f"{image.size[0]}x{image.size[1]} is larger than {MAX_IMAGE_SIDE} px a side")
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        reason = "not an image file" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise MediaRequestError(
            f"{where}: not a usable PNG or JPEG first frame ({reason}); give an RGB image of at most "
            f"{MAX_IMAGE_SIDE} px a side (it is resized to the version's clip size)",
            "image",
        ) from None
    return image.convert("RGB")
