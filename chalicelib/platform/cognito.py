"""Accounts in Cognito (moto's locally): sign-up, login, groups, and JWT verification
against the pool's JWKS. Behind this class so another OIDC provider can replace it."""
from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.platform.aws import client
from chalicelib.platform.errors import ConflictError, ForbiddenError, RetryLaterError, UnauthorizedError, ValidationError
from chalicelib.platform.settings import Settings
from chalicelib.platform.store.faults import NETWORK_ERRORS

ROLES = ("trainee", "unit", "reviewer", "finance", "admin")
JWKS_MAX_AGE_S = 3600  # the pool's keys, refetched this often
JWKS_REFRESH_MIN_S = 60  # a token with an unknown kid refetches them at most this often
UNKNOWN_KID_TTL_S = 300  # a kid the fresh keys lacked is refused without a fetch this long
UNKNOWN_KIDS_MAX = 1024
JWKS_TIMEOUT_S = 3


class TokenError(Exception):
    """A token that must not be accepted; `reason` is a stable code for logs and tests."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CognitoIdentity:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cognito_client: Any = None
        self._pool_id = settings.user_pool_id
        self._client_id = settings.user_pool_client_id
        self._jwks: dict[str, Any] | None = None
        self._jwks_at = 0.0  # last successful fetch
        self._jwks_tried_at = float("-inf")  # last fetch, whatever came of it
        self._unknown_kids: dict[str, float] = {}  # kid -> when the fresh keys lacked it
        self._lock = threading.Lock()

    @property
    def _cognito(self) -> Any:
        """The Cognito client, built on first use: verifying a token (most requests) needs
        only the JWKS, and building the client costs ~0.15 s of a cold start."""
        if self._cognito_client is None:
            self._cognito_client = client(self.settings, "cognito-idp")
        return self._cognito_client

    # --- the pool -------------------------------------------------------------------
    @property
    def pool_id(self) -> str:
        if not self._pool_id:
            self._resolve()
        assert self._pool_id
        return self._pool_id

    @property
    def client_id(self) -> str:
        if not self._client_id:
            self._resolve()
        assert self._client_id
        return self._client_id

    def _resolve(self) -> None:
        """Dev only: moto makes random ids, so find the pool and its client by name."""
        pools = self._cognito.list_user_pools(MaxResults=60)["UserPools"]
        pool = next((p for p in pools if p["Name"] == self.settings.user_pool_name), None)
        if pool is None:
            raise RetryLaterError("用户池尚未创建", code="USER_POOL_MISSING")
        clients = self._cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=10)
        self._pool_id = pool["Id"]
        self._client_id = clients["UserPoolClients"][0]["ClientId"]

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.settings.region}.amazonaws.com/{self.pool_id}"

    def _jwks_url(self) -> str:
        base = self.settings.endpoint_url or f"https://cognito-idp.{self.settings.region}.amazonaws.com"
        return f"{base.rstrip('/')}/{self.pool_id}/.well-known/jwks.json"

    # --- accounts -------------------------------------------------------------------
    def sign_up(self, email: str, password: str, attributes: dict[str, str]) -> str:
        """Create the account; returns its `sub`. In dev/test it is confirmed at once."""
        attrs = [{"Name": "email", "Value": email},
                 *({"Name": k, "Value": v} for k, v in attributes.items())]
        try:
            out = self._cognito.sign_up(ClientId=self.client_id, Username=email,
                                        Password=password, UserAttributes=attrs)
            if self.settings.is_dev:
                self._cognito.admin_confirm_sign_up(UserPoolId=self.pool_id, Username=email)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "UsernameExistsException":
                raise ConflictError("该邮箱已注册，请直接登录", code="EMAIL_TAKEN") from exc
            if code in ("InvalidPasswordException", "InvalidParameterException"):
                raise ValidationError("密码不符合要求：至少 8 位，含大小写字母、数字和符号",
                                      field="password", code="WEAK_PASSWORD") from exc
            raise
        return str(out["UserSub"])

    def confirm(self, email: str, code: str) -> None:
        try:
            self._cognito.confirm_sign_up(ClientId=self.client_id, Username=email,
                                          ConfirmationCode=code)
        except ClientError as exc:
            # NotAuthorized: already confirmed; the same answer, so nothing is learned
            if exc.response["Error"]["Code"] in ("CodeMismatchException", "ExpiredCodeException",
                                                 "UserNotFoundException", "NotAuthorizedException",
                                                 "LimitExceededException", "TooManyFailedAttemptsException"):
                raise ValidationError("验证码无效或已过期", field="code") from exc
            raise

    def login(self, email: str, password: str) -> dict[str, Any]:
        try:
            # The admin flow (IAM-signed, server side only): the web client allows no password
            # flow of its own, so nobody gets a token past the platform's checks (staff TOTP).
            out = self._cognito.admin_initiate_auth(
                UserPoolId=self.pool_id, ClientId=self.client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password})
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in ("NotAuthorizedException", "UserNotFoundException"):
                raise UnauthorizedError("邮箱或密码错误", code="INVALID_CREDENTIALS") from exc
            if code == "UserNotConfirmedException":
                raise ForbiddenError("账号尚未验证，请先完成邮箱验证", code="NOT_CONFIRMED") from exc
            raise
        result = out.get("AuthenticationResult")
        if not result:
            raise UnauthorizedError("需要额外的登录验证步骤", code="CHALLENGE_REQUIRED")
        return {"id_token": result["IdToken"], "access_token": result["AccessToken"],
                "refresh_token": result.get("RefreshToken"),
                "expires_in": result.get("ExpiresIn", 3600)}

    def login_custom(self, email: str, answer: str) -> dict[str, Any]:
        """Tokens through CUSTOM_AUTH (the pool's challenge triggers, identity/custom_auth.py):
        the admin flow, answered with the platform's one-time `answer`. Cognito's refusal
        (a disabled user, a wrong or used answer) is 401 SMS_LOGIN_FAILED."""
        refused = UnauthorizedError("短信登录未成功，请重新获取验证码", code="SMS_LOGIN_FAILED")
        try:
            out = self._cognito.admin_initiate_auth(
                UserPoolId=self.pool_id, ClientId=self.client_id, AuthFlow="CUSTOM_AUTH",
                AuthParameters={"USERNAME": email})
            if out.get("ChallengeName") == "CUSTOM_CHALLENGE":
                out = self._cognito.admin_respond_to_auth_challenge(
                    UserPoolId=self.pool_id, ClientId=self.client_id,
                    ChallengeName="CUSTOM_CHALLENGE", Session=out["Session"],
                    ChallengeResponses={"USERNAME": email, "ANSWER": answer})
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NotAuthorizedException", "UserNotFoundException",
                                                 "CodeMismatchException"):
                raise refused from exc
            raise
        result = out.get("AuthenticationResult")
        if not result:  # a further challenge: the answer was not accepted
            raise refused
        return {"id_token": result["IdToken"], "access_token": result["AccessToken"],
                "refresh_token": result.get("RefreshToken"),
                "expires_in": result.get("ExpiresIn", 3600)}

    def groups(self, email: str) -> list[str]:
        """The account's groups (its roles) as Cognito has them now."""
        out = self._cognito.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=email,
                                                       Limit=60)
        return [str(g["GroupName"]) for g in out.get("Groups", [])]

    def add_to_group(self, email: str, group: str) -> None:
        self._cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=email,
                                              GroupName=group)

    def global_sign_out(self, email: str) -> None:
        """Revoke every refresh token of the account (AdminUserGlobalSignOut); its id and
        access tokens stay valid until they expire, so the boundary refuses them too
        (platform/sessions.py). A user that is gone has nothing left to revoke."""
        try:
            self._cognito.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=email)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UserNotFoundException":
                raise

    def disable_user(self, email: str) -> None:
        try:
            self._cognito.admin_disable_user(UserPoolId=self.pool_id, Username=email)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UserNotFoundException":
                raise

    def set_password(self, email: str, password: str) -> None:
        """A new permanent password (after the platform checked a reset code)."""
        try:
            self._cognito.admin_set_user_password(UserPoolId=self.pool_id, Username=email,
                                                  Password=password, Permanent=True)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("InvalidPasswordException",
                                                 "InvalidParameterException"):
                raise ValidationError("密码不符合要求：至少 8 位，含大小写字母、数字和符号",
                                      field="password", code="WEAK_PASSWORD") from exc
            raise

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """New id and access tokens for a refresh token (REFRESH_TOKEN_AUTH); a revoked or
        unknown one is 401 SESSION_ENDED."""
        try:
            out = self._cognito.initiate_auth(
                ClientId=self.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token})
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NotAuthorizedException", "UserNotFoundException",
                                                 "ResourceNotFoundException"):
                raise UnauthorizedError("登录已失效，请重新登录", code="SESSION_ENDED") from exc
            raise
        result = out.get("AuthenticationResult") or {}
        return {"id_token": result["IdToken"], "access_token": result["AccessToken"],
                "refresh_token": result.get("RefreshToken") or refresh_token,
                "expires_in": result.get("ExpiresIn", 3600)}

    def delete_user(self, email: str) -> None:
        try:
            self._cognito.admin_delete_user(UserPoolId=self.pool_id, Username=email)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UserNotFoundException":
                raise

    # --- tokens ---------------------------------------------------------------------
    def _fetch(self) -> dict[str, Any]:
        self._jwks_tried_at = time.monotonic()
        with urllib.request.urlopen(self._jwks_url(), timeout=JWKS_TIMEOUT_S) as resp:  # noqa: S310
            data = json.loads(resp.read())
        self._jwks = {k["kid"]: k for k in data["keys"]}
        self._jwks_at = time.monotonic()
        return self._jwks

    def _keys(self, force: bool = False) -> dict[str, Any]:
        """The pool's keys, cached for an hour. `force` (an unknown kid: the pool may have
        rotated) refetches at most once a JWKS_REFRESH_MIN_S, and a failed refetch keeps
        the keys we have; with no keys at all the network error goes up (503)."""
        with self._lock:
            now = time.monotonic()
            if self._jwks is not None and now - self._jwks_at <= JWKS_MAX_AGE_S and (
                    not force or now - self._jwks_tried_at < JWKS_REFRESH_MIN_S):
                return self._jwks
            try:
                return self._fetch()
            except NETWORK_ERRORS:
                if self._jwks is None:
                    raise
                return self._jwks

    def _known_missing(self, kid: str) -> bool:
        seen = self._unknown_kids.get(kid)
        return seen is not None and time.monotonic() - seen < UNKNOWN_KID_TTL_S

    def check(self) -> None:
        """For /health: the pool's keys can be fetched (at most once a minute)."""
        with self._lock:
            if time.monotonic() - self._jwks_at > JWKS_REFRESH_MIN_S or self._jwks is None:
                self._fetch()

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid id token of this pool and client; TokenError otherwise."""
        import jwt  # here: a public route's cold start never loads PyJWT and cryptography

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError("malformed") from exc
        if header.get("alg") != "RS256":
            raise TokenError("bad_algorithm")
        kid = str(header.get("kid"))
        keys = self._keys()
        if kid not in keys:
            if self._known_missing(kid):  # negative cache: no fetch for a kid seen missing
                raise TokenError("unknown_key")
            keys = self._keys(force=True)  # the pool may have rotated its keys
        jwk = keys.get(kid)
        if jwk is None:
            if len(self._unknown_kids) >= UNKNOWN_KIDS_MAX:
                self._unknown_kids.clear()
            self._unknown_kids[kid] = time.monotonic()
            raise TokenError("unknown_key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=self.client_id,
                issuer=self.issuer, options={"require": ["exp", "iss", "aud", "token_use"]})
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenError("wrong_client") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenError("foreign_pool") from exc
        except jwt.PyJWTError as exc:
            raise TokenError("invalid_signature") from exc
        if claims.get("token_use") != "id":
            raise TokenError("wrong_token_use")
        return claims


def roles_from_claims(claims: dict[str, Any]) -> list[str]:
    groups = [g for g in claims.get("cognito:groups", []) if g in ROLES]
    return groups or ["trainee"]
