"""Developer tools: the sync-twin generator and the documentation examples runner."""
