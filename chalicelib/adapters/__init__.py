"""The outside world: AWS clients, identity, mail, object storage, payment providers, PDFs."""
