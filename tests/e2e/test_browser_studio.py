"""The web UI in a real Chromium: sign in → wizard → plan tiles → approve → live job → model → compare."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from studio_helpers import Studio, running_studio, write_chat_data

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium "
        "(apt-get install chromium; `make test` installs it)",
    ),
]


@pytest.fixture
def page(tmp_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    with running_studio(tmp_path / "studio") as running:
        write_chat_data(running.data_dir / "chat.jsonl")
        yield running


def test_wizard_to_live_job_to_model_and_compare(studio: Studio, page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    shots = tmp_path / "screenshots"
    page.goto(studio.url + "/")
    expect(page).to_have_url(studio.url + "/login?next=/")
    page.fill("#token", "ot_wrong")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("invalid token")
    page.fill("#token", studio.admin_token)
    page.keyboard.press("Enter")  # the form works from the keyboard alone
    expect(page.locator("#prompt")).to_be_visible()

    page.fill("#prompt", "fine-tune a small chat model to answer support questions")
    page.set_input_files("#data-file", str(studio.data_dir / "chat.jsonl"))
    expect(page.locator("#upload-status")).to_contain_text("uploaded chat.jsonl")
    assert page.input_value("#data-path").startswith(str(studio.home / "uploads"))
    page.fill("#base-model", "omnitune/tiny-llama")
    page.click("#plan-button")
    expect(page.locator("#model-value")).to_have_text("omnitune/tiny-llama", timeout=60_000)
    expect(page.locator("#data-report")).to_contain_text("found 40")
    page.screenshot(path=str(shots / "1-plan.png"), full_page=True)

    page.select_option("#gpu-select", "a100-80gb")
    expect(page.locator("#gpu-value")).to_have_text("1 × a100-80gb", timeout=30_000)
    page.select_option("#gpu-select", "cpu")
    expect(page.locator("#gpu-value")).to_have_text("1 × cpu", timeout=30_000)
    page.fill("#hp-batch_size", "4")
    page.fill("#hp-gradient_accumulation", "1")
    page.click("#hp-save")
    expect(page.locator("#hp-gradient_accumulation")).to_have_value("1", timeout=30_000)
    page.fill("#max-steps", "3")
    page.screenshot(path=str(shots / "2-edited.png"), full_page=True)
    page.click("#approve-button")

    page.wait_for_url(f"{studio.url}/jobs/*", timeout=60_000)
    expect(page.locator("#job-state")).to_have_text("running", timeout=60_000)
    expect(page.locator("#job-step")).to_have_text(re.compile(r"[1-3] / 3"), timeout=120_000)
    page.screenshot(path=str(shots / "3-live.png"), full_page=True)
    expect(page.locator("#job-state")).to_have_text("succeeded", timeout=180_000)
    expect(page.locator("#job-step")).to_have_text("3 / 3")
    expect(page.locator(".toast").last).to_contain_text("finished 3 steps", timeout=8_000)
    for chart in ("loss", "lr", "speed"):
        expect(page.locator(f"#{chart}-chart")).to_have_attribute("data-points", "3")
    expect(page.locator("#log")).not_to_be_empty()
    page.screenshot(path=str(shots / "4-done.png"), full_page=True)

    page.click("#registered-model")
    expect(page.locator("#lineage")).to_contain_text("omnitune/tiny-llama")
    expect(page.locator("#metrics")).to_contain_text("final_loss")
    page.click("#compare-link")
    expect(page.locator("#compare-rows")).to_contain_text("final_loss")
    page.click("#session-start")
    expect(page.locator("#try-form")).to_be_visible(timeout=60_000)
    page.fill("#try-prompt", "What is 2 plus 2?")
    page.keyboard.press("Enter")
    expect(page.locator("#try-answers")).to_be_visible(timeout=60_000)
    page.click("#rate-fine_tuned")
    expect(page.locator("#session-status")).to_have_text("thanks: 1 preference pair saved")
    page.screenshot(path=str(shots / "5-compare.png"), full_page=True)
    page.goto(studio.url + "/jobs")
    expect(page.locator("#job-rows .badge")).to_have_text("succeeded")
    page.goto(studio.url + "/settings")
    page.select_option("#cred-name", "hf_token")
    page.fill("#cred-value", "hf_secret_value")
    page.click("#cred-form button[type=submit]")
    expect(page.locator("#cred-rows")).to_contain_text("hf_token")
    expect(page.locator("#cred-value")).to_have_value("")
    assert "hf_secret_value" not in page.content()
    page.fill("#notify-webhook", "ftp://not-http")
    page.click("#notify-form button[type=submit]")
    expect(page.locator("#notify-error")).to_contain_text("webhook_url")
    page.fill("#notify-webhook", "")
    page.uncheck("#notify-events input[value=job_started]")
    page.click("#notify-form button[type=submit]")
    expect(page.locator("#notify-status")).to_have_text("saved")
    page.reload()
    expect(page.locator("#notify-events input[value=job_started]")).not_to_be_checked()
    expect(page.locator("#notify-events input[value=job_finished]")).to_be_checked()
    page.screenshot(path=str(shots / "6-settings.png"), full_page=True)
    assert len(list(shots.glob("*.png"))) == 6
