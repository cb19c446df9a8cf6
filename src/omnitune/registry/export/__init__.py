"""Export formats: the LoRA adapter as-is, merged full weights, GGUF (llama family), an Ollama Modelfile."""
