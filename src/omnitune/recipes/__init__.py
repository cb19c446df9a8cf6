"""Training recipes: one standalone file per modality x method family."""
