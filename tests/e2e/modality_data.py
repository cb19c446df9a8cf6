"""Synthetic datasets in the shapes a user would hand to `omnitune train --data` (tiny: 4-8 items)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

COLOURS = {"red": (220, 30, 30), "blue": (30, 40, 220)}


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def chat_jsonl(path: Path, count: int = 8) -> Path:
    """Chat records: ask for a colour's opposite, the assistant answers it."""
    pairs = [("black", "white"), ("up", "down"), ("hot", "cold"), ("day", "night")]
    rows = [{"messages": [{"role": "user", "content": f"opposite of {a}?"},
                          {"role": "assistant", "content": b}]}
            for a, b in (pairs * 2)[:count]]
    return _jsonl(path, rows)


def preference_jsonl(path: Path, count: int = 8) -> Path:
    """DPO-style pairs: prompt, chosen, rejected."""
    rows = [{"prompt": f"say yes #{i}", "chosen": "yes", "rejected": "no no no"} for i in range(count)]
    return _jsonl(path, rows)


def kto_jsonl(path: Path, count: int = 8) -> Path:
    """KTO-style unpaired rows: prompt, completion, boolean label."""
    rows = [{"prompt": f"greet #{i}", "completion": "hello" if i % 2 else "go away", "label": bool(i % 2)}
            for i in range(count)]
    return _jsonl(path, rows)


def classification_csv(path: Path, per_class: int = 6) -> Path:
    """A text,label CSV with two clearly separable classes."""
    good = ["great product", "love it", "works perfectly", "excellent value", "very happy", "superb quality"]
    bad = ["broke at once", "hate it", "total waste", "awful service", "very poor", "never again"]
    rows = [[t, "positive"] for t in good[:per_class]] + [[t, "negative"] for t in bad[:per_class]]
    return _csv(path, ["text", "label"], rows)


def pairs_jsonl(path: Path) -> Path:
    """Sentence-embedding pairs: anchor, positive."""
    topics = ["cats", "rain", "trains", "coffee", "guitars", "tennis", "bread", "rockets"]
    rows = [{"anchor": f"what do you know about {t}?", "positive": f"a short fact about {t}"} for t in topics]
    return _jsonl(path, rows)


def _image(colour: tuple[int, int, int], size: int, shade: int) -> Any:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), tuple(min(255, c + shade) for c in colour))
    ImageDraw.Draw(image).rectangle((size // 4, size // 4, size // 2, size // 2), fill=(250, 250, 250))
    return image


def captioned_pngs(root: Path, count: int = 4, size: int = 32, trigger: str = "") -> Path:
    """A folder of PNGs, each with a same-named .txt caption."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        name, rgb = list(COLOURS.items())[i % len(COLOURS)]
        _image(rgb, size, 8 * i).save(root / f"img{i}.png")
        (root / f"img{i}.txt").write_text(f"{trigger}a {name} square".strip(), encoding="utf-8")
    return root


def controlnet_folder(root: Path, count: int = 4, size: int = 32) -> Path:
    """Captioned PNGs plus a `conditioning/` folder of same-named edge maps."""
    from PIL import ImageFilter

    captioned_pngs(root, count, size)
    (root / "conditioning").mkdir()
    for png in sorted(root.glob("img*.png")):
        from PIL import Image

        Image.open(png).convert("L").filter(ImageFilter.FIND_EDGES).convert("RGB").save(
            root / "conditioning" / png.name)
    return root


def class_folders(root: Path, per_class: int = 4, size: int = 32) -> Path:
    """A class-per-folder image tree (red/, blue/)."""
    for name, rgb in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            _image(rgb, size, 6 * i).save(root / name / f"{i}.png")
    return root


def vqa_folder(root: Path, count: int = 6, size: int = 32) -> Path:
    """PNGs with a metadata.csv of file_name, question, answer."""
    root.mkdir(parents=True)
    rows = []
    for i in range(count):
        name, rgb = list(COLOURS.items())[i % len(COLOURS)]
        _image(rgb, size, 6 * i).save(root / f"q{i}.png")
        rows.append([f"q{i}.png", "what colour is it?", name])
    return _csv(root / "metadata.csv", ["file_name", "question", "answer"], rows).parent


def _tone(path: Path, hz: float, seconds: float = 1.0, rate: int = 16000) -> None:
    import numpy as np
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.4 * np.sin(2 * math.pi * hz * t)).astype("float32"), rate)


def wavs_with_metadata(root: Path, column: str, values: list[str], hz: list[float]) -> Path:
    """WAV tones with a metadata.csv of file_name and ``column`` (transcription, description, label)."""
    root.mkdir(parents=True)
    rows = []
    for i, (value, freq) in enumerate(zip(values, hz, strict=True)):
        _tone(root / f"clip{i}.wav", freq)
        rows.append([f"clip{i}.wav", value])
    return _csv(root / "metadata.csv", ["file_name", column], rows).parent


def speech_wavs(root: Path) -> Path:
    """Four spoken-sentence stand-ins with transcriptions."""
    return wavs_with_metadata(root, "transcription", ["hello there", "good morning", "hello again",
                                                     "good night"], [220, 330, 240, 350])


def music_wavs(root: Path) -> Path:
    """Four clips with text descriptions."""
    texts = ["a low calm tone", "a high bright tone", "a low calm hum", "a high bright beep"]
    return wavs_with_metadata(root, "description", texts, [110, 880, 120, 860])


def labelled_wavs(root: Path) -> Path:
    """Six clips labelled low/high."""
    labels = ["low", "high"] * 3
    return wavs_with_metadata(root, "label", labels, [110 if x == "low" else 880 for x in labels])


def _mp4(path: Path, colour: tuple[int, int, int], frames: int = 24, size: int = 32, fps: int = 8) -> None:
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            array = np.zeros((size, size, 3), dtype=np.uint8)
            array[:] = colour
            array[:, (i * 3) % size: (i * 3) % size + 6] = 255  # a moving bar
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def captioned_mp4s(root: Path, count: int = 4) -> Path:
    """MP4 clips, each with a same-named .txt caption."""
    root.mkdir(parents=True)
    for i in range(count):
        name, rgb = list(COLOURS.items())[i % len(COLOURS)]
        _mp4(root / f"clip{i}.mp4", rgb)
        (root / f"clip{i}.txt").write_text(f"a white bar sweeps over {name}", encoding="utf-8")
    return root


def class_folder_mp4s(root: Path, per_class: int = 3) -> Path:
    """A class-per-folder tree of MP4 clips."""
    for name, rgb in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            _mp4(root / name / f"{i}.mp4", rgb)
    return root
