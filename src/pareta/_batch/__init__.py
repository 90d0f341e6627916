"""The batch engine's pure parts and its twins; the engine itself is ``_async/batch.py``."""
