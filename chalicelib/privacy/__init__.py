"""Personal data across every feature: the export and the erasure a person or an admin asks for
(it reads and scrubs through each feature's public face, so it sits above them all)."""
