"""The client's I/O, written once: ``pareta._sync`` is generated from ``pareta._async``."""
