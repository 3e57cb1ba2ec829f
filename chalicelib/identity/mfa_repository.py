"""Staff TOTP secrets: one item per staff account (`sub`), the secret sealed with KMS (the
encryption context names the account, so a ciphertext copied to another account does not
open). Private to the identity package; the KMS calls live here with the item they seal."""
from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.identity.states import MFA_STATUS, MfaStatus
from chalicelib.platform.aws import client
from chalicelib.platform.store.attributes import StateAttribute
from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import committed, register


@register
class StaffMfa(Model):
    class Meta:
        table_name = "staff-mfa"

    user_sub = UnicodeAttribute(hash_key=True)
    sealed_secret = UnicodeAttribute()  # base64 of the KMS ciphertext
    status = StateAttribute(MFA_STATUS)  # pending (shown, not proved yet) | enrolled
    created_at = UTCDateTimeAttribute()
    enrolled_at = UTCDateTimeAttribute(null=True)
    last_step = NumberAttribute(default=0)  # the newest 30 s step accepted (no replay)


class SecretSealError(Exception):
    """KMS could not seal or open a secret (wrong key, wrong account, KMS refused)."""


class StaffMfaRepository:
    def get(self, user_sub: str) -> StaffMfa | None:
        try:
            return StaffMfa.get(user_sub, consistent_read=True)
        except DoesNotExist:
            return None

    def start(self, item: StaffMfa, now: datetime) -> bool:
        """A pending secret for an account that has none (False: one exists already)."""
        def write(tx: Any) -> None:
            tx.save(item, condition=StaffMfa.user_sub.does_not_exist())
            tx.save(audit_entry(f"account#{item.user_sub}", "mfa.enrolment_started",
                                item.user_sub, now))
        return committed(write)

    def enrol(self, item: StaffMfa, step: int, now: datetime) -> bool:
        """pending -> enrolled with the first code's step (False: changed meanwhile)."""
        def write(tx: Any) -> None:
            tx.update(item, actions=[StaffMfa.status.set(MfaStatus.ENROLLED.value),
                                     StaffMfa.enrolled_at.set(now), StaffMfa.last_step.set(step)],
                      condition=StaffMfa.status.is_in(*MFA_STATUS.sources(MfaStatus.ENROLLED))
                      & (StaffMfa.sealed_secret == item.sealed_secret))
            tx.save(audit_entry(f"account#{item.user_sub}", "mfa.enrolled", item.user_sub, now))
        return committed(write)

    def use_step(self, item: StaffMfa, step: int) -> bool:
        """Accept a code's step once: only if newer than every step accepted before."""
        def write(tx: Any) -> None:
            tx.update(item, actions=[StaffMfa.last_step.set(step)],
                      condition=(StaffMfa.status == MfaStatus.ENROLLED.value)
                      & (StaffMfa.last_step < step))
        return committed(write)

    def reset(self, user_sub: str, actor: str, now: datetime) -> bool:
        """Forget the account's secret (a lost phone): the next sign-in enrols again. False
        when there was none."""
        def write(tx: Any) -> None:
            tx.delete(StaffMfa(user_sub=user_sub), condition=StaffMfa.user_sub.exists())
            tx.save(audit_entry(f"account#{user_sub}", "mfa.reset", actor, now))
        return committed(write)

    def save_enrolled(self, item: StaffMfa) -> None:
        """Dev seeding: an enrolled secret, written as is."""
        item.save()

    # --- KMS ---------------------------------------------------------------------------
    def seal(self, settings: Any, user_sub: str, secret: str) -> str:
        try:
            out = client(settings, "kms").encrypt(
                KeyId=settings.mfa_key_id, Plaintext=secret.encode(),
                EncryptionContext={"user_sub": user_sub})
        except ClientError as exc:
            raise SecretSealError(exc.response["Error"]["Code"]) from exc
        return base64.b64encode(out["CiphertextBlob"]).decode()

    def unseal(self, settings: Any, user_sub: str, sealed: str) -> str:
        try:
            out = client(settings, "kms").decrypt(
                CiphertextBlob=base64.b64decode(sealed), EncryptionContext={"user_sub": user_sub})
        except ClientError as exc:
            raise SecretSealError(exc.response["Error"]["Code"]) from exc
        return bytes(out["Plaintext"]).decode()
