"""Delivering notifications: Slack-compatible webhooks (retried with backoff) and email over SMTP."""

from __future__ import annotations

import logging
import smtplib
import time
from email.message import EmailMessage
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("omnitune.notifications")


class SmtpSettings(BaseSettings):
    """Outgoing mail server, from OMNITUNE_SMTP_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="OMNITUNE_SMTP_", extra="ignore")

    host: str | None = Field(None, description="SMTP server; email notifications are off without it.")
    port: int = 25
    sender: str = "omnitune@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0


class DeliveryError(RuntimeError):
    """A notification could not be delivered after every retry."""


def send_webhook(url: str, payload: dict[str, Any], attempts: int = 4, backoff_s: float = 0.5) -> int:
    """POST JSON to ``url``, retrying failures with exponential backoff; returns the attempts used."""
    import httpx

    last = ""
    for attempt in range(1, attempts + 1):
        try:
            response = httpx.post(url, json=payload, timeout=10)
            if response.is_success:
                return attempt
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        if attempt < attempts:
            time.sleep(backoff_s * 2 ** (attempt - 1))
    raise DeliveryError(f"webhook {url} failed after {attempts} attempts ({last})")


def send_email(to: str, subject: str, body: str, settings: SmtpSettings | None = None) -> None:
    """Send a plain-text email through the configured SMTP server."""
    settings = settings or SmtpSettings()
    if not settings.host:
        raise DeliveryError("email notifications need OMNITUNE_SMTP_HOST (and _PORT, _SENDER)")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, to, subject
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.username and settings.password:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)


def slack_payload(text: str, details: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook body (`text`, plus a block) with omnitune's details alongside."""
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        "omnitune": details,
    }
