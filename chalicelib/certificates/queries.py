"""What other features may read of certificates: small named read-only functions
(reports' exports). The certificates' repository stays private to the package."""
from __future__ import annotations

from chalicelib.certificates.repository import Certificate

__all__ = ["Certificate", "get_certificates"]


def get_certificates(certificate_nos: list[str]) -> dict[str, Certificate]:
    """Several certificates at once, by number (unknown numbers left out; eventually
    consistent: an export, not a check)."""
    if not certificate_nos:
        return {}
    return {c.certificate_no: c for c in Certificate.batch_get(sorted(set(certificate_nos)))}
