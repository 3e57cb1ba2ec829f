"""The AWS resources the app expects besides its tables, named once: the local stack
(devtools/bootstrap.py) and the deployment (infra/) both create them from here."""
from __future__ import annotations

# Private object storage; the bucket name is settings.bucket_name(base) = BUCKET_PREFIX + base.
BUCKETS = ("certificates", "invoices", "vouchers", "videos")
# Cognito groups = the platform's roles.
GROUPS = ("trainee", "unit", "reviewer", "finance", "admin")
# The web client's auth flows: passwords only through the platform (ADMIN_USER_PASSWORD_AUTH
# is IAM-signed, server side), so a staff password alone never yields a token past the TOTP.
# ALLOW_CUSTOM_AUTH: login by SMS code through the pool's challenge triggers, answered by the
# platform with a one-time nonce (chalicelib/identity/custom_auth.py).
CLIENT_AUTH_FLOWS = ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
# The user pool's Lambda triggers served by the app's `auth_challenge` function (app.py).
CUSTOM_AUTH_TRIGGERS = ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")
# The user pool's password policy (CreateUserPool's Policies.PasswordPolicy).
PASSWORD_POLICY = {"MinimumLength": 8, "RequireUppercase": True, "RequireLowercase": True,
                   "RequireNumbers": True, "RequireSymbols": True}
