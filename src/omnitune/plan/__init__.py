"""The training plan: schema, interpreter, presets, estimates."""
