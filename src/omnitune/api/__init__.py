"""The studio's HTTP API (FastAPI): thin routes over services/, SSE and WebSocket job streams, auth."""
