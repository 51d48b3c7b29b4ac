"""The dashboard's people: accounts bound to an organisation subtree and roles, sign-in, sessions, sign-out.

* Passwords are kept only as argon2id hashes (``argon2-cffi``'s defaults: slow on purpose, salted).
* A session is a row: the browser's cookie holds a random secret (256 bits), the row its SHA-256, the form token
  every form of the session must send back (CSRF), and its expiry. Signing out ends the row at once.
* Guessing is throttled per account: after ``MAX_FAILURES`` failed sign-ins in a row the account refuses every
  password, the right one included, for ``LOCK`` (checked before any hashing). A success resets the count.
  Every refusal reads the same, so an answer never tells an unknown login from a wrong password or a lock.
* A user's roles must be roles a loaded workflow has, and the organisation must exist (as for API tokens).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from admission_flow.domain.web import Session, UserRecord
from admission_flow.errors import DuplicateKey, InvalidInput, NotFound, Unauthenticated
from admission_flow.services.access import known_roles
from admission_flow.services.deps import Deps

MAX_FAILURES = 5
LOCK = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 10
REFUSED = "sign-in refused: wrong login or password, or too many failed attempts (wait 15 minutes)"
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash verified for unknown logins, so they take as long as known ones; made on the first sign-in (making
    it at import cost every command of the CLI a sixth of a second)."""
    return _hasher.hash("a password nobody has")


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= 200:
        raise InvalidInput(f"password: {MIN_PASSWORD} to 200 characters")


def _check_login(login: str) -> str:
    login = login.strip()
    if not 0 < len(login) <= 64 or not all(c.isalnum() or c in "._-@" for c in login):
        raise InvalidInput("login: 1 to 64 letters, digits or . _ - @")
    return login


def add_user(
    deps: Deps, *, login: str, display_name: str, org_id: str, roles: Sequence[str], password: str
) -> UserRecord:
    login = _check_login(login)
    display_name = display_name.strip()
    if not 0 < len(display_name) <= 200 or not display_name.isprintable():
        raise InvalidInput("display name: 1 to 200 printable characters")
    check_password(password)
    known = known_roles(deps)
    bad = [r for r in roles if r not in known]
    if bad:
        raise InvalidInput(
            f"roles: no workflow has {', '.join(map(repr, bad))}; known roles: {', '.join(sorted(known))}"
        )
    values = {
        "login": login,
        "display_name": display_name,
        "org_id": org_id,
        "roles": sorted(set(roles)),
        "password_hash": _hasher.hash(password),
        "disabled": False,
        "failed_sign_ins": 0,
        "locked_until": None,
        "created_at": deps.clock.now(),
    }
    try:
        with deps.db.transaction() as uow:
            if uow.orgs.get(org_id) is None:
                raise NotFound("org", org_id)
            user_id = uow.web.insert_user(values)
    except DuplicateKey:
        raise InvalidInput(f"login: {login!r} is taken") from None
    return UserRecord(user_id, login, display_name, org_id, values["roles"], False, 0, None, values["created_at"])  # type: ignore[arg-type]


def users(deps: Deps) -> list[UserRecord]:
    with deps.db.transaction(readonly=True) as uow:
        return uow.web.users()


def set_disabled(deps: Deps, login: str, disabled: bool) -> None:
    """Disable (every session ends at once) or enable an account."""
    with deps.db.transaction() as uow:
        found = uow.web.user_by_login(login)
        if found is None:
            raise NotFound("user", login)
        uow.web.update_user(found.user.id, {"disabled": disabled})
        if disabled:
            uow.web.end_sessions(deps.clock.now(), user_id=found.user.id)


def reset_password(deps: Deps, login: str, password: str | None = None) -> str:
    """Set a new password (a random one when none is given; returned), lift any lock, end every session."""
    password = password if password is not None else secrets.token_urlsafe(12)
    check_password(password)
    with deps.db.transaction() as uow:
        found = uow.web.user_by_login(login)
        if found is None:
            raise NotFound("user", login)
        values = {"password_hash": _hasher.hash(password), "failed_sign_ins": 0, "locked_until": None}
        uow.web.update_user(found.user.id, values)
        uow.web.end_sessions(deps.clock.now(), user_id=found.user.id)
    return password


def sign_in(deps: Deps, login: str, password: str) -> tuple[Session, str]:
    """A new session and its cookie secret; ``Unauthenticated`` (always the same words) otherwise."""
    now = deps.clock.now()
    with deps.db.transaction(readonly=True) as uow:
        found = uow.web.user_by_login(login.strip()[:64])
    if found is None or len(password) > 200:
        _verify(_dummy_hash(), password[:200])
        raise Unauthenticated(REFUSED)
    user = found.user
    if user.locked_until is not None and user.locked_until > now:
        raise Unauthenticated(REFUSED)
    if user.disabled or not _verify(found.password_hash, password):
        failures = user.failed_sign_ins + 1
        locked = now + LOCK if failures >= MAX_FAILURES else None
        with deps.db.transaction() as uow:
            uow.web.update_user(user.id, {"failed_sign_ins": 0 if locked else failures, "locked_until": locked})
        raise Unauthenticated(REFUSED)
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = now + SESSION_LIFETIME
    with deps.db.transaction() as uow:
        if user.failed_sign_ins or user.locked_until is not None:
            uow.web.update_user(user.id, {"failed_sign_ins": 0, "locked_until": None})
        uow.web.insert_session(
            {
                "secret_hash": _secret_hash(secret),
                "user_id": user.id,
                "csrf_token": csrf,
                "created_at": now,
                "expires_at": expires_at,
                "ended_at": None,
            }
        )
    return Session(user, csrf, expires_at), secret


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def session(deps: Deps, secret: str) -> Session:
    """The live session a cookie secret belongs to; ``Unauthenticated`` if unknown, ended, expired or its user
    disabled."""
    if not 0 < len(secret) <= 100:
        raise Unauthenticated("please sign in")
    with deps.db.transaction(readonly=True) as uow:
        found = uow.web.session(_secret_hash(secret))
    if found is None:
        raise Unauthenticated("please sign in")
    stored, csrf, expires_at, ended_at = found
    if ended_at is not None or expires_at <= deps.clock.now() or stored.user.disabled:
        raise Unauthenticated("please sign in")
    return Session(stored.user, csrf, expires_at)


def sign_out(deps: Deps, secret: str) -> None:
    with deps.db.transaction() as uow:
        uow.web.end_sessions(deps.clock.now(), secret_hash=_secret_hash(secret))
