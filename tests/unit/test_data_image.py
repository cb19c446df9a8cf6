"""Image datasets: layout detection, every validator, and preprocessing on small images the tests write."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omnitune.data.image import inspect_images, load_image_rgb, prepare_images
from omnitune.data.manifest import DatasetManifest
from omnitune.data.media_output import MediaDataError
from omnitune.types import DataFamily


def write_image(path: Path, size=(96, 64), color=(200, 30, 30), mode="RGB", fmt=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, color)
    if mode != "RGB":
        image = image.convert(mode)
    image.save(path, format=fmt)
    return path


def problems_by(report, file: str) -> list:
    return [p for p in report.problems if p.file == file]


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    root = tmp_path / "messy"
    for name in ("a", "b"):
        write_image(root / f"{name}.png")
        (root / f"{name}.txt").write_text(f"a  red\tsquare {name}, red, red\n", encoding="utf-8")
    write_image(root / "nocap.png", color=(1, 2, 3))
    write_image(root / "cmyk.jpg", mode="CMYK")
    (root / "cmyk.txt").write_text("cmyk photo", encoding="utf-8")
    write_image(root / "palette.png", mode="P", color=(0, 0, 255))
    (root / "palette.txt").write_text("palette", encoding="utf-8")
    write_image(root / "tiny.png", size=(8, 8), color=(9, 9, 9))
    (root / "tiny.txt").write_text("tiny", encoding="utf-8")
    good = write_image(root / "whole.png", color=(5, 200, 5)).read_bytes()
    (root / "truncated.png").write_bytes(good[: len(good) // 2])
    (root / "truncated.txt").write_text("cut", encoding="utf-8")
    (root / "garbage.png").write_bytes(b"not an image at all")
    (root / "orphan.txt").write_text("nobody's caption", encoding="utf-8")
    write_image(root / "bad_utf8.png", color=(7, 7, 7))
    (root / "bad_utf8.txt").write_bytes(b"caf\xe9")
    write_image(root / "wide.png", size=(400, 40), color=(50, 50, 50))
    (root / "wide.txt").write_text("wide", encoding="utf-8")
    return root


def test_inspect_reports_every_problem_with_file_and_field(messy: Path) -> None:
    report = inspect_images(messy)
    assert report.format == "imagefolder-captions" and report.family == DataFamily.IMAGE
    assert report.usable
    truncated = problems_by(report, "truncated.png")
    assert truncated[0].severity == "error" and "truncated" in truncated[0].message
    assert "not a recognised image" in problems_by(report, "garbage.png")[0].message
    assert any("CMYK" in p.message and p.severity == "warning" for p in problems_by(report, "cmyk.jpg"))
    assert any("palette" in p.message for p in problems_by(report, "palette.png"))
    assert "too small" in problems_by(report, "tiny.png")[0].message
    assert any(p.field == "caption" and "missing" in p.message for p in problems_by(report, "nocap.png"))
    assert "without a matching image" in problems_by(report, "orphan.txt")[0].message
    assert "UTF-8" in problems_by(report, "bad_utf8.txt")[0].message
    assert any("aspect ratio" in p.message for p in problems_by(report, "wide.png"))
    assert any("same bytes" in p.message for p in problems_by(report, "b.png"))
    assert all(p.hint for p in report.problems)
    stats = report.stats
    assert stats["width"]["max"] == 400 and stats["modes"]["CMYK"] == 1
    assert sum(stats["buckets@512"].values()) == stats["images"]
    assert report.preview[0]["file_name"] == "a.png"


def test_prepare_crops_to_square_and_keeps_source_untouched(messy: Path, tmp_path: Path) -> None:
    before = tree_digest(messy)
    out = tmp_path / "prepared"
    manifest = prepare_images(messy, out, resolution=64, trigger_word="sks", validation_fraction=0.25)
    assert tree_digest(messy) == before
    assert DatasetManifest.read(out).content_hash == manifest.content_hash
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    rows += [json.loads(line) for line in (out / "validation.jsonl").read_text().splitlines()]
    assert manifest.stats["dropped"] == 3 and len(rows) == manifest.stats["images"] == 8
    first = next(r for r in rows if r["source"] == "a.png")
    assert first["text"] == "sks, a red square a, red"
    for row in rows:
        with Image.open(out / row["file_name"]) as image:
            assert image.size == (64, 64) and image.mode == "RGB"
    assert not list(tmp_path.glob(".prepared.partial-*"))


def test_prepare_refuses_output_inside_source_and_empty_sets(messy: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaDataError, match="inside the source"):
        prepare_images(messy, messy / "out")
    empty = tmp_path / "empty"
    (empty / "junk.png").parent.mkdir()
    (empty / "junk.png").write_bytes(b"junk")
    with pytest.raises(MediaDataError, match="no usable images") as info:
        prepare_images(empty, tmp_path / "out")
    assert info.value.problems[0].file == "junk.png"
    assert not (tmp_path / "out").exists()


def test_failed_prepare_leaves_no_complete_looking_output(messy: Path, tmp_path: Path) -> None:
    def broken_captioner(images):
        raise RuntimeError("model crashed")

    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        prepare_images(messy, out, captioner=broken_captioner)
    assert not out.exists() and not list(tmp_path.glob(".out.*"))


def test_metadata_jsonl_with_bad_rows(tmp_path: Path) -> None:
    root = tmp_path / "meta"
    write_image(root / "img" / "one.png")
    write_image(root / "img" / "two.png", color=(0, 0, 0))
    write_image(root / "unlisted.png", color=(1, 1, 1))
    lines = [
        json.dumps({"file_name": "img/one.png", "text": "first", "question": "what?", "answer": "red"}),
        "{broken json",
        json.dumps({"file_name": "img/missing.png", "text": "gone"}),
        json.dumps({"file_name": "img/two.png", "text": ""}),
    ]
    (root / "metadata.jsonl").write_text("\n".join(lines), encoding="utf-8")
    report = inspect_images(root)
    assert report.format == "imagefolder-metadata"
    located = {(p.file, p.line, p.field) for p in report.problems}
    assert ("metadata.jsonl", 2, None) in located
    assert ("metadata.jsonl", 3, "file_name") in located
    assert ("img/two.png", None, "caption") in located
    assert any("not listed" in p.message for p in problems_by(report, "unlisted.png"))
    assert report.usable
    prepare_images(root, tmp_path / "out", resolution=32, validation_fraction=0)
    first = json.loads((tmp_path / "out" / "train.jsonl").read_text().splitlines()[0])
    assert (first["question"], first["answer"], first["text"]) == (
        "what?",
        "red",
        "first",
    )  # extra columns kept


def test_metadata_csv_and_classification_folders(tmp_path: Path) -> None:
    root = tmp_path / "csv"
    write_image(root / "p.png")
    (root / "metadata.csv").write_text('file_name,caption\np.png,"a dog, running"\n', encoding="utf-8")
    report = inspect_images(root)
    assert report.preview[0]["text"] == "a dog, running"
    classes = tmp_path / "classes"
    for label, color in (("cat", (1, 1, 1)), ("dog", (2, 2, 2))):
        for i in range(3):
            write_image(classes / label / f"{i}.png", color=(color[0] * 40 + i, 0, 0))
    write_image(classes / "bird" / "0.png", color=(0, 90, 0))
    report = inspect_images(classes)
    assert report.format == "imagefolder-classes" and report.stats["labels"] == {
        "bird": 1,
        "cat": 3,
        "dog": 3,
    }
    assert any(p.field == "label" and "bird" in p.message for p in report.problems)
    manifest = prepare_images(classes, tmp_path / "out", resolution=32, validation_fraction=0)
    rows = [json.loads(x) for x in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    assert {r["label"] for r in rows} == {"bird", "cat", "dog"} and manifest.splits.keys() == {"train"}


def test_controlnet_pairs_share_geometry_and_missing_pairs_are_errors(tmp_path: Path) -> None:
    root = tmp_path / "cn"
    for i, name in enumerate("abc"):
        write_image(root / f"{name}.png", size=(128, 64), color=(i, 0, 0))
        (root / f"{name}.txt").write_text(f"scene {name}", encoding="utf-8")
    (root / "conditioning").mkdir()
    for name in ("a", "b"):
        edge = Image.new("RGB", (128, 64), (0, 0, 0))
        edge.paste((255, 255, 255), (0, 0, 16, 64))  # a white band on the far left, cropped away
        edge.save(root / "conditioning" / f"{name}.png")
    report = inspect_images(root)
    assert report.format == "controlnet"
    missing = [p for p in problems_by(report, "c.png") if p.field == "conditioning"]
    assert missing[0].field == "conditioning" and missing[0].severity == "error"
    out = tmp_path / "out"
    prepare_images(root, out, resolution=64, crop="center", validation_fraction=0, flip=True)
    rows = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and sum(bool(r.get("flipped")) for r in rows) == 2
    flipped = next(r for r in rows if r.get("flipped"))
    control = np.asarray(Image.open(out / flipped["conditioning_file_name"]))
    assert control.shape == (64, 64, 3) and control[:, -1].mean() < 10 and control[:, 0].mean() < 10
    plain = next(r for r in rows if not r.get("flipped"))
    assert np.asarray(Image.open(out / plain["conditioning_file_name"])).mean() < 10  # band cropped away


def test_inpainting_masks_and_dreambooth_class_images(tmp_path: Path) -> None:
    root = tmp_path / "inp"
    write_image(root / "a.png", size=(64, 64))
    write_image(root / "masks" / "a.png", size=(64, 64), color=(255, 255, 255), mode="L")
    write_image(root / "b.png", size=(64, 64), color=(0, 0, 9))
    report = inspect_images(root)
    assert report.format == "inpainting"
    assert problems_by(report, "b.png")[0].field == "mask"
    prepare_images(root, tmp_path / "inp_out", resolution=32, validation_fraction=0)
    row = json.loads((tmp_path / "inp_out" / "train.jsonl").read_text().splitlines()[0])
    assert Image.open(tmp_path / "inp_out" / row["mask_file_name"]).mode == "L"

    db = tmp_path / "db"
    for i in range(3):
        write_image(db / f"dog{i}.png", color=(i, 100, 0))
        write_image(db / "class_images" / f"c{i}.png", color=(0, i, 100))
    assert inspect_images(db).format == "dreambooth"
    prepare_images(
        db,
        tmp_path / "db_out",
        resolution=32,
        trigger_word="sks dog",
        class_prompt="a photo of a dog",
        validation_fraction=0.5,
    )
    train = [json.loads(x) for x in (tmp_path / "db_out" / "train.jsonl").read_text().splitlines()]
    classes = [r for r in train if r["is_class_image"]]
    assert len(classes) == 3 and {r["text"] for r in classes} == {"a photo of a dog"}
    assert all(r["text"] == "sks dog" for r in train if not r["is_class_image"])


def test_buckets_and_random_crop_are_deterministic(tmp_path: Path) -> None:
    root = tmp_path / "b"
    write_image(root / "wide.png", size=(200, 100))
    write_image(root / "tall.png", size=(100, 200), color=(0, 1, 0))
    write_image(root / "square.png", size=(150, 150), color=(0, 0, 1))
    manifest = prepare_images(root, tmp_path / "o1", resolution=128, buckets=True, validation_fraction=0)
    buckets = {k: v for k, v in manifest.stats.items() if k.startswith("bucket_")}
    assert len(buckets) == 3 and buckets["bucket_128x128"] == 1
    sizes = {
        json.loads(x)["source"]: (json.loads(x)["width"], json.loads(x)["height"])
        for x in (tmp_path / "o1" / "train.jsonl").read_text().splitlines()
    }
    assert sizes["square.png"] == (128, 128)
    assert sizes["wide.png"][0] > sizes["wide.png"][1] and sizes["tall.png"][0] < sizes["tall.png"][1]
    a = prepare_images(root, tmp_path / "r1", resolution=64, crop="random", seed=3)
    b = prepare_images(root, tmp_path / "r2", resolution=64, crop="random", seed=3)
    assert a.content_hash == b.content_hash


def test_exif_orientation_and_high_bit_depth(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    image = Image.new("RGB", (80, 40), (10, 20, 30))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    image.save(path, exif=exif)
    assert load_image_rgb(path).size == (40, 80)
    assert load_image_rgb(path, 32).size == (32, 32)
    deep = tmp_path / "deep.png"
    Image.fromarray(np.full((40, 40), 65535, dtype=np.uint16)).save(deep)
    assert load_image_rgb(deep).getpixel((0, 0)) == (255, 255, 255)
    assert inspect_images(tmp_path).stats["exif_rotated"] == 1


def test_missing_path_and_empty_folder_are_reported_not_raised(tmp_path: Path) -> None:
    assert not inspect_images(tmp_path / "nope").usable
    report = inspect_images(tmp_path)
    assert not report.usable and "no images" in report.problems[0].message


def test_metadata_columns_pair_conditioning_and_masks(tmp_path: Path) -> None:
    root = tmp_path / "meta_pairs"
    write_image(root / "img" / "a.png", size=(64, 64))
    write_image(root / "edges" / "a.png", size=(64, 64), color=(255, 255, 255))
    write_image(root / "holes" / "a.png", size=(64, 64), color=(0, 0, 0), mode="L")
    row = {"file_name": "img/a.png", "text": "a", "conditioning_image": "edges/a.png", "mask": "holes/a.png"}
    bad = {"file_name": "img/a.png", "text": "b", "conditioning_image": "edges/zz.png"}
    (root / "metadata.jsonl").write_text(json.dumps(row) + "\n" + json.dumps(bad), encoding="utf-8")
    report = inspect_images(root)
    assert [(p.line, p.field) for p in report.problems if p.severity == "error"] == [
        (2, "conditioning_image")
    ]
    out = tmp_path / "out"
    prepare_images(root, out, resolution=32, validation_fraction=0)
    record = json.loads((out / "train.jsonl").read_text().splitlines()[0])
    assert (
        record["conditioning_file_name"] == "conditioning/00000.png"
        and record["mask_file_name"] == "masks/00000.png"
    )
    assert np.asarray(Image.open(out / record["conditioning_file_name"])).min() == 255
