"""Video I/O over PyAV and frame folders: probe, timed frame streams, frame sampling, audio track."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import av
import numpy as np
from PIL import Image

from omnitune.data.image_checks import open_rgb
from omnitune.data.video_sources import list_frames

DEFAULT_FRAME_FOLDER_FPS = 8.0
VFR_SPREAD = 0.1  # frame intervals varying by more than 10% of the median mean variable frame rate
AV_ERRORS: tuple[type[BaseException], ...] = (av.error.FFmpegError, OSError, ValueError, IndexError, EOFError)


@dataclass
class VideoCheck:
    """Facts about one clip: geometry, timing, audio, and a fatal reason if it cannot be used."""

    width: int = 0
    height: int = 0
    fps: float = 0.0
    frames: int = 0
    duration: float = 0.0
    codec: str = ""
    has_audio: bool = False
    vfr: bool = False
    error: tuple[str, str] | None = None


def probe_video(path: Path, declared_fps: float | None = None) -> VideoCheck:
    """Probe a video file (demux every packet, decode the first frame) or a frame folder."""
    if path.is_dir():
        return _probe_frames(path, declared_fps or DEFAULT_FRAME_FOLDER_FPS)
    check = VideoCheck()
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                check.error = (
                    "has no video stream (audio only, or zero frames)",
                    "re-export the clip with its video",
                )
                return check
            stream = container.streams.video[0]
            check.codec, check.has_audio = stream.codec_context.name, bool(container.streams.audio)
            times = [
                float(p.pts * p.time_base) for p in container.demux(stream) if p.pts is not None and p.size
            ]
            container.seek(0)
            first = next(container.decode(video=0), None)
    except av.error.EOFError:
        check.error = ("zero frames: the file ends before its first frame", "re-export the clip")
        return check
    except AV_ERRORS as exc:
        check.error = (f"unreadable video ({exc})", "re-encode it: ffmpeg -i in.x -c:v libx264 out.mp4")
        return check
    if first is None or not times:
        check.error = ("zero decodable frames", "re-export the clip; it holds no video frames")
        return check
    upright = abs(int(getattr(first, "rotation", 0) or 0)) % 180 == 90  # phone clips carry a display matrix
    check.width, check.height = (first.height, first.width) if upright else (first.width, first.height)
    check.frames = len(times)
    _timing(check, sorted(times), float(stream.average_rate or stream.guessed_rate or 0))
    return check


def _timing(check: VideoCheck, times: list[float], nominal: float) -> None:
    gaps = np.diff(times)
    step = median(gaps) if len(gaps) else 1.0 / (nominal or DEFAULT_FRAME_FOLDER_FPS)
    check.fps = nominal or (1.0 / step if step > 0 else 0.0)
    check.duration = times[-1] - times[0] + step
    if len(gaps) >= 2 and step > 0:
        spread = float(np.percentile(gaps, 95) - np.percentile(gaps, 5)) / step
        check.vfr = spread > VFR_SPREAD


def _probe_frames(folder: Path, fps: float) -> VideoCheck:
    frames = list_frames(folder)
    check = VideoCheck(fps=fps, frames=len(frames), duration=len(frames) / fps, codec="frames")
    sizes = set()
    for frame in frames:
        try:
            with Image.open(frame) as image:
                image.load()
                sizes.add(image.size)
        except (OSError, SyntaxError, ValueError) as exc:
            check.error = (f"frame {frame.name} is unreadable ({exc})", "re-export or delete that frame")
            return check
    if not frames:
        check.error = ("zero frames", "put the clip's frames (PNG/JPEG) in the folder")
    elif len(sizes) > 1:
        check.error = (f"frames have {len(sizes)} different sizes", "export every frame at one size")
    else:
        check.width, check.height = sizes.pop()
    return check


def iter_frames(path: Path, fps: float | None = None) -> Iterator[tuple[float, Image.Image]]:
    """(time in seconds, RGB frame) in presentation order, from a video file or a frame folder."""
    if path.is_dir():
        rate = fps or DEFAULT_FRAME_FOLDER_FPS
        for index, still in enumerate(list_frames(path)):
            yield index / rate, open_rgb(still)
        return
    with av.open(str(path)) as container:
        start = None
        for frame in container.decode(video=0):
            time = float(frame.time) if frame.time is not None else 0.0
            start = time if start is None else start
            image = frame.to_image().convert("RGB")
            rotation = int(getattr(frame, "rotation", 0) or 0)
            yield time - start, image.rotate(rotation, expand=True) if rotation else image


def sample_at(
    stream: Iterator[tuple[float, Image.Image]], targets: list[float], step: float
) -> list[Image.Image]:
    """For each target time, the last frame shown at or before it (works for variable frame rates)."""
    chosen: list[Image.Image] = []
    previous: tuple[float, Image.Image] | None = None
    for time, image in stream:
        while len(chosen) < len(targets) and time > targets[len(chosen)] + 1e-6:
            chosen.append(previous[1] if previous else image)
        if len(chosen) == len(targets):
            return chosen
        previous = (time, image)
    while previous and len(chosen) < len(targets) and targets[len(chosen)] < previous[0] + step:
        chosen.append(previous[1])
    return chosen


def read_audio_track(path: Path, sample_rate: int = 16000) -> np.ndarray | None:
    """The first audio stream decoded to mono float32 at ``sample_rate``; None when there is none."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks = []
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def read_video_frames(path: Path, num_frames: int, size: tuple[int, int] | None = None) -> np.ndarray:
    """``num_frames`` evenly spaced frames of a whole clip as uint8 (T, H, W, 3), for recipes."""
    path = Path(path)
    check = probe_video(path)
    if check.error:
        raise ValueError(f"{path}: {check.error[0]}; {check.error[1]}")
    wanted = np.linspace(0, max(0, check.frames - 1), num_frames).round().astype(int)
    picked: list[Image.Image] = []
    for index, (_, image) in enumerate(iter_frames(path)):
        picked += [image] * int((wanted == index).sum())
        if len(picked) >= num_frames:
            break
    picked += [picked[-1]] * (num_frames - len(picked))
    if size is not None:
        picked = [image.resize(size, Image.Resampling.BILINEAR) for image in picked]
    return np.stack([np.asarray(image) for image in picked])
