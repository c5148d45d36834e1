"""Accounts, password hashing and roles for the dashboard.

Two login modes, chosen by ``auth.mode`` in programme.yaml:

- ``local``: user name and password checked against ``config/accounts.yaml``
  (scrypt hashes with a per-account salt), for the offline demo and small offices;
- ``oidc``: ``st.login()`` (OpenID Connect); the e-mail claim of the logged-in user
  is looked up in the same accounts file to find the role.

Roles: ``province`` sees every unit; ``unit`` sees its own unit's personal data and
other units only as aggregates.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sheets_schema import Config

ROLES = ("province", "unit")
MODES = ("local", "oidc")
# scrypt cost: 2**14 iterations with r=8 takes 16 MiB of memory and about 50 ms on a
# laptop (an estimate), which slows guessing without slowing a login noticeably.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class AuthConfigError(ValueError):
    """The accounts file or the ``auth`` block of programme.yaml is invalid."""


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    unit: str | None
    email: str | None
    password_hash: str | None

    def can_see_personal(self, unit: str) -> bool:
        """Whether this account may see names, phones and ID numbers of ``unit``'s rows."""
        return self.role == "province" or unit == self.unit

    @property
    def personal_units(self) -> tuple[str, ...] | None:
        """Units whose personal data this account may see (None: every unit)."""
        return None if self.role == "province" else (self.unit or "",)


@dataclass(frozen=True)
class AuthSettings:
    mode: str
    accounts_file: Path
    provider: str | None


def hash_password(password: str, salt: bytes | None = None) -> str:
    """Hash a password with scrypt as ``scrypt$N$r$p$salt$hash`` (base64 salt and hash)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    encode = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt)}${encode(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Check a password against a stored ``scrypt$...`` hash in constant time."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(base64.b64decode(expected)))
    except ValueError:
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


def auth_settings(config: Config) -> AuthSettings:
    """Read the ``auth`` block of programme.yaml; without one, local accounts in ``accounts.yaml``."""
    raw = config.auth or {}
    mode = str(raw.get("mode", "local"))
    if mode not in MODES:
        raise AuthConfigError(f"programme.yaml auth.mode is {mode!r}; expected one of {', '.join(MODES)}")
    accounts = Path(str(raw.get("accounts_file", "accounts.yaml")))
    if not accounts.is_absolute():
        accounts = config.config_dir / accounts
    return AuthSettings(mode=mode, accounts_file=accounts, provider=raw.get("provider") or None)


def load_accounts(path: Path, config: Config) -> dict[str, Account]:
    """Load accounts keyed by user name, checking roles and unit codes against the configuration."""
    if not path.exists():
        raise AuthConfigError(f"accounts file not found: {path}; create it or set auth.accounts_file")
    with open(path, encoding="utf-8") as fh:
        raw: dict[str, Any] = yaml.safe_load(fh) or {}
    accounts = {}
    for entry in raw.get("accounts", []):
        username = str(entry.get("username", "")).strip().lower()
        role = entry.get("role")
        unit = entry.get("unit")
        if not username:
            raise AuthConfigError(f"{path}: an account has no username")
        if role not in ROLES:
            raise AuthConfigError(f"{path}: account {username} has role {role!r}; expected province or unit")
        if role == "unit" and not (unit and config.has_unit(unit)):
            raise AuthConfigError(f"{path}: account {username} names unit {unit!r}, which is not in units.csv")
        if username in accounts:
            raise AuthConfigError(f"{path}: account {username} appears twice")
        email = str(entry["email"]).strip().lower() if entry.get("email") else None
        accounts[username] = Account(username=username, display_name=str(entry.get("display_name") or username),
                                     role=role, unit=unit if role == "unit" else None, email=email,
                                     password_hash=entry.get("password_hash"))
    return accounts


def authenticate(accounts: dict[str, Account], username: str, password: str) -> Account | None:
    """Return the account when the user name and password match, else None."""
    account = accounts.get(username.strip().lower())
    if account is None:
        # Spend the same time as a real check, so timing does not reveal which names exist.
        verify_password(password, hash_password("", salt=b"0" * 16))
        return None
    return account if verify_password(password, account.password_hash) else None


def account_for_email(accounts: dict[str, Account], email: str | None) -> Account | None:
    """Find the account whose e-mail matches an OpenID Connect e-mail claim (case-insensitive)."""
    if not email:
        return None
    wanted = email.strip().lower()
    for account in accounts.values():
        if account.email == wanted:
            return account
    return None


def main(argv: list[str] | None = None) -> int:
    """Print a password hash for accounts.yaml: ``python -m dashboard.auth hash``."""
    args = argv if argv is not None else sys.argv[1:]
    if args != ["hash"]:
        print("Cách dùng: python -m dashboard.auth hash  (nhập mật khẩu, in ra chuỗi băm cho accounts.yaml)")
        return 2
    password = getpass.getpass("Mật khẩu: ")
    if password != getpass.getpass("Nhập lại mật khẩu: "):
        print("Hai lần nhập mật khẩu không khớp.", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
