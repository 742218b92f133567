"""A teacher's name as the owner of saved runs (issue 17 §4, "Runs that last"): the same name and
passphrase give the same owner key in any browser, so a teacher lists, loads and deletes their runs
from another computer. A name alone is no key — anyone can type "Ms Rivera" — so a passphrase goes
with it; the server never stores either, only the key they derive (scrypt, salted by the name, slow
enough that guessing passphrases online is not worth it; each address may ask a few times a minute).
"""
from __future__ import annotations

import base64
import hashlib
import unicodedata

from pydantic import BaseModel, Field

SALT = b"flowscope saved-runs owner\x00"
ASKS_BURST, ASKS_PER_MINUTE = 10, 10  # POST /api/owner per client address (rooms/limits.JoinLimiter)


class OwnerName(BaseModel):
    model_config = {"extra": "forbid"}
    name: str = Field(min_length=1, max_length=60)
    passphrase: str = Field(min_length=8, max_length=200)


def clean_name(name: str) -> str:
    """The name as shown: Unicode-normalized, inner spaces as one."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def owner_key(name: str, passphrase: str) -> str:
    """The owner key (32 characters of [A-Za-z0-9_-], the alphabet every owner key has) for a name and
    its passphrase: the name's case and spacing don't matter, the passphrase's every character does."""
    who = clean_name(name).casefold().encode("utf-8", "surrogatepass")  # JSON may carry a lone surrogate
    raw = hashlib.scrypt(passphrase.encode("utf-8", "surrogatepass"), salt=SALT + who, n=2**14, r=8, p=1, dklen=24)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
