"""The hand-written async client; ``_sync/`` is generated from this package."""
