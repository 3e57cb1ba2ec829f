"""Local-only tooling: the embedded AWS (moto), bootstrapping it, dev keys. Never deployed."""
