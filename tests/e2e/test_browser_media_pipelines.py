"""The web UI in a real Chromium: a media side-by-side session on the compare page (image, audio and
video shown, a rating counted) and a pipeline drawn as a graph of stages whose status updates live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from media_versions import image_lora, music_lora, register, using_home, video_lora
from pipeline_helpers import linear_pipeline_plan, studio_env
from studio_helpers import Studio, running_studio
from test_browser_studio import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium "
        "(apt-get install chromium; `make test` installs it)",
    ),
]


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    env = {**studio_env(), "OMP_NUM_THREADS": "1"}
    with running_studio(tmp_path_factory.mktemp("studio"), env) as running:
        yield running


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (kept with the test's temporary directory)."""
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(studio: Studio) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{studio.url}/login")
        page.fill("#token", studio.admin_token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{studio.url}/")
        yield page
        browser.close()


def test_compare_page_shows_media_side_by_side_and_rates(
    studio: Studio, page: object, shots: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    import torch

    torch.set_num_threads(1)
    with using_home(studio.home):
        image = register(image_lora(tmp_path / "image"), "stripes")
        music = register(music_lora(tmp_path / "music"), "tunes")
        video = register(video_lora(tmp_path / "video"), "clips")

    page.goto(f"{studio.url}/compare?left={image.id}&right={music.id}")
    expect(page.locator("#compare-rows")).to_contain_text("image_lora")
    page.click("#session-start")
    expect(page.locator("#session-status")).to_contain_text("(image)", timeout=60_000)
    expect(page.locator("#try-seed")).to_be_visible()
    page.fill("#try-prompt", "a striped pattern")
    page.fill("#try-seed", "3")
    page.keyboard.press("Enter")
    for side in ("base", "fine_tuned"):
        picture = page.locator(f"#media-{side} img")
        expect(picture).to_be_visible(timeout=60_000)
        assert picture.evaluate("img => img.complete && img.naturalWidth") > 0  # the PNG decoded
        expect(page.locator(f"#latency-{side}")).to_have_text(re.compile(r"^\d+\.\d\d s$"))
        expect(page.locator(f"#answer-{side}")).to_be_hidden()
    expect(page.locator("#media-base figcaption")).to_contain_text("seed 3")
    page.click("#rate-fine_tuned")
    expect(page.locator("#session-status")).to_have_text("thanks: 1 media preference pair saved")
    expect(page.locator("#rate-base")).to_be_disabled()
    expect(page.locator("#output-fine_tuned")).to_have_class(re.compile(r"\bchosen\b"))
    page.screenshot(path=str(shots / "1-compare-image.png"), full_page=True)

    page.goto(f"{studio.url}/compare?left={music.id}&right={image.id}")
    page.click("#session-start")
    expect(page.locator("#session-status")).to_contain_text("(music)", timeout=60_000)
    page.fill("#try-prompt", "a calm tone")
    page.fill("#try-seconds", "0.3")
    page.click("#try-run")
    audio = page.locator("#media-fine_tuned audio")
    expect(audio).to_be_visible(timeout=60_000)
    expect(page.locator("#media-base audio")).to_have_attribute("controls", "")
    page.wait_for_function(
        "() => document.querySelector('#media-base audio').readyState >= 1", timeout=10_000
    )
    assert audio.evaluate("a => a.duration") > 0  # the WAV's header was read by the browser
    page.click("#rate-base")
    expect(page.locator("#session-status")).to_have_text("thanks: 2 media preference pairs saved")
    page.screenshot(path=str(shots / "2-compare-music.png"), full_page=True)
    _video_side_by_side(studio, page, video.id, shots, tmp_path)


def _video_side_by_side(studio: Studio, page: object, video_id: str, shots: Path, tmp_path: Path) -> None:
    """An image-to-video session: a first frame uploaded, both MP4s played by the browser, a rating."""
    from PIL import Image
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    still = tmp_path / "first.png"
    Image.new("RGB", (16, 16), (250, 250, 250)).save(still)
    page.goto(f"{studio.url}/compare?left={video_id}")
    page.click("#session-start")
    expect(page.locator("#session-status")).to_contain_text("(video)", timeout=60_000)
    expect(page.locator("#music-options")).to_be_hidden()
    page.set_input_files("#try-image", str(still))
    page.fill("#try-prompt", "a clip in colour 0")
    page.click("#try-run")
    for side in ("base", "fine_tuned"):
        player = page.locator(f"#media-{side} video")
        expect(player).to_be_visible(timeout=60_000)
        expect(player).to_have_attribute("controls", "")
        page.wait_for_function(
            f"() => document.querySelector('#media-{side} video').readyState >= 1", timeout=10_000
        )
        assert player.evaluate("v => v.videoWidth") == 16  # the MP4 was decoded by the browser
    expect(page.locator("#media-fine_tuned figcaption")).to_contain_text("first frame: uploaded")
    page.click("#rate-fine_tuned")
    expect(page.locator("#session-status")).to_have_text("thanks: 3 media preference pairs saved")
    page.screenshot(path=str(shots / "3-compare-video.png"), full_page=True)


def test_pipeline_page_draws_stages_edges_and_live_status(studio: Studio, page: object, shots: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    client = studio.client()
    plan_id, data = linear_pipeline_plan(studio, client.get("/api/me").json()["id"])
    started = client.post("/api/training/pipelines", json={"plan_id": plan_id, "data": data, "max_steps": 3})
    assert started.status_code == 200, started.text
    pipeline_id = started.json()["id"]

    page.click("nav >> text=Pipelines")
    expect(page.locator("#pipeline-rows")).to_contain_text(pipeline_id)
    page.click(f"#pipeline-rows a >> text={pipeline_id}")
    expect(page.locator("#pipeline-id")).to_have_text(pipeline_id)
    expect(page.locator("#pipeline-graph .node")).to_have_count(3)
    expect(page.locator("#pipeline-graph .edge")).to_have_count(2)
    assert page.locator("#pipeline-graph .edge[data-to=joined]").count() == 2
    joined_x = page.locator("#stage-joined").bounding_box()
    left_x = page.locator("#stage-left").bounding_box()
    assert joined_x and left_x and joined_x["x"] > left_x["x"] + left_x["width"]  # a column per depth
    first_state = page.locator("#stage-joined").get_attribute("data-state")
    assert first_state in ("pending", "queued", "running")
    page.screenshot(path=str(shots / "4-pipeline-live.png"), full_page=True)

    expect(page.locator("#pipeline-state")).to_have_text("succeeded", timeout=150_000)  # polled, no reload
    for name in ("left", "right", "joined"):
        expect(page.locator(f"#stage-{name}")).to_have_attribute("data-state", "succeeded")
        expect(page.locator(f"#stage-{name} .status")).to_have_text("succeeded · step 3/3")
    expect(page.locator("#pipeline-graph .edge.done")).to_have_count(2)
    expect(page.locator("#stage-rows")).to_contain_text(f"pipeline-{pipeline_id}-joined")
    page.screenshot(path=str(shots / "5-pipeline-done.png"), full_page=True)
    page.click("#pipeline-graph a[aria-label^=joined]")
    expect(page).to_have_url(re.compile(r"/jobs/\w+$"))
    expect(page.locator("#job-state")).to_have_text("succeeded")
    assert all((shots / name).stat().st_size > 0 for name in ("4-pipeline-live.png", "5-pipeline-done.png"))
