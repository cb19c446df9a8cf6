"""The studio's web UI: Jinja templates and hand-written JS/CSS served by the API (no build step, no CDN)."""
