"""LLM recipes (SFT, preference, RL, distillation, merging, classification) and shared loaders."""
