"""Private APIs of dependencies, one module per dependency, each checked against the
version it was written for."""
