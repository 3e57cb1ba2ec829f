"""One function per use case. Services take `now`; they call store/ and adapters/."""
