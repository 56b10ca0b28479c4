"""Who is asking: OPUS identities (name + token) and their roles (the job lists they may use).

OPUS (uws_server.set_user, storage.add_user/has_access) identifies a user by the *pair*
(name, token) from HTTP Basic, and never answers 401:
- no Authorization header, a non-Basic or unreadable one, or an empty user name: the guest
  ``anonymous:anonymous`` (all guests share it);
- a known name with its token: that account, with its roles;
- anything else (unknown name, or a known name with a wrong token) silently becomes a new
  account with no roles (``new_user_roles``), so a wrong token shows up as 403 on job lists
  and jobs, and as a 500 on creation; never as 401.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import AbstractSet, FrozenSet, Iterable, Mapping, Optional, Tuple

from .failures import AccessDenied

__all__ = ["GUEST", "Identity", "Users", "identify"]

# user name -> (token, job lists the account may use)
Users = Mapping[str, Tuple[str, Iterable[str]]]


@dataclass(frozen=True)
class Identity:
    name: str
    token: str = field(repr=False)
    roles: FrozenSet[str] = frozenset()

    @property
    def is_guest(self) -> bool:
        return self.name == "anonymous" and self.token == "anonymous"  # noqa: S105 (OPUS guest)

    def same_account(self, name: str, token: str) -> bool:
        return self.name == name and self.token == token

    def check_list(self, list_name: str) -> None:
        """OPUS check_permissions: the identity has the role of the job list."""
        if list_name not in self.roles:
            raise AccessDenied(
                f"User {self.name} does not have permission to create/edit {list_name} jobs"
            )

    def check_owner(self, name: str, token: str) -> None:
        """OPUS check_owner: the identity is the job's owner, (name, token)."""
        if not self.same_account(name, token):
            raise AccessDenied(f"User {self.name} is not the owner of the job")


GUEST = Identity("anonymous", "anonymous")


def _basic_credentials(header: Optional[str]) -> Optional[Tuple[str, str]]:
    if not header:
        return None
    scheme, _, data = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(data.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return user, password


def identify(
    header: Optional[str],
    users: Mapping[str, Tuple[str, FrozenSet[str]]],
    guest_lists: AbstractSet[str],
    new_user_roles: AbstractSet[str] = frozenset(),
) -> Identity:
    """The identity behind an ``Authorization`` header value (None: no header)."""
    credentials = _basic_credentials(header)
    if credentials is None or not credentials[0]:
        return Identity(GUEST.name, GUEST.token, frozenset(guest_lists))
    name, token = credentials
    if (name, token) == ("anonymous", "anonymous"):
        return Identity(GUEST.name, GUEST.token, frozenset(guest_lists))
    account = users.get(name)
    if account is not None and account[0] == token:
        return Identity(name, token, account[1])
    return Identity(name, token, frozenset(new_user_roles))
