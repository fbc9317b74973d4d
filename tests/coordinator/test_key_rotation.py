"""Key rotation on real SQLite files: a new key in front keeps every session, token and
checksum readable, and `csn rotate-keys` (a real process) lets the old key go."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from coordinator_agent.store import (
    Cipher,
    NewEscalation,
    NewEvent,
    NewPhoto,
    SessionIntegrityError,
    SessionStore,
    make_engine,
)
from shared.domain import TERMINAL_STATES
from tests.fleet import REPO

SECRET = "Jane Doe, 42 Baker Street: my blender broke"
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
HMAC_KEY = "a-separate-hmac-key"
PHOTO = b"\xff\xd8\xff\xe0 twelve photos: more than one rotation batch of them"


def open_store(db: Path, keys: str, mac_key: str = "") -> SessionStore:
    store = SessionStore(
        make_engine(f"sqlite:///{db}"), Cipher(keys, mac_key), terminal_states=TERMINAL_STATES
    )
    store.migrate()
    return store


def fill(store: SessionStore) -> str:
    """One live case, one escalated with a rating; returns the live case's token."""
    live, token = store.create(
        "live", "C-1001", "negotiating", {"customer_id": "C-1001", "message": SECRET},
        events=[NewEvent("session_created", "customer", {"text": SECRET})],
        new_photos=[NewPhoto(n, "image/jpeg", PHOTO + bytes([n])) for n in range(1, 13)],
    )  # fmt: skip
    done, _ = store.create(
        "done", "C-1002", "received", {"customer_id": "C-1002", "message": SECRET}
    )
    escalation = NewEscalation("e1", "stuck", {"reason": SECRET})
    store.save(done, "escalated", done.document, actor="watchdog", escalation=escalation)
    store.rate("done", 4, SECRET)
    return token


def assert_readable(store: SessionStore, token: str) -> None:
    assert store.get("live").document["message"] == SECRET
    assert store.get("done").state == "escalated"
    assert store.events("live")[0].detail == {"text": SECRET}
    assert store.escalation("e1").context == {"reason": SECRET}
    assert store.rating("done")["comment"] == SECRET
    store.authenticate("live", token)
    assert [p.data for p in store.photos("live")] == [PHOTO + bytes([n]) for n in range(1, 13)]


def rotate_keys_process(db: Path, keys: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CSN_DATABASE_URL": f"sqlite:///{db}",
        "CSN_ENCRYPTION_KEY": keys,
        "CSN_HMAC_KEY": HMAC_KEY,
        "CSN_VAR_DIR": str(tmp_path / "var"),
    }
    command = [sys.executable, "-m", "csn", "rotate-keys", "--batch", "2"]
    return subprocess.run(  # noqa: S603 (our own command)
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_new_key_in_front_keeps_a_legacy_store_readable(tmp_path: Path) -> None:
    """A store whose hashes came from the first encryption key (before the HMAC key)."""
    db = tmp_path / "coordinator.db"
    token = fill(open_store(db, OLD))
    rotated = open_store(db, f"{NEW},{OLD}", HMAC_KEY)
    assert_readable(rotated, token)  # the old code raised SessionIntegrityError here
    live = rotated.get("live")
    rotated.save(live, "negotiating", {**live.document, "round": 2}, actor="negotiation_agent")
    assert rotated.get("live").document["round"] == 2


def test_rotate_keys_lets_the_old_key_go(tmp_path: Path) -> None:
    db = tmp_path / "coordinator.db"
    token = fill(open_store(db, OLD, HMAC_KEY))
    assert_readable(open_store(db, f"{NEW},{OLD}", HMAC_KEY), token)

    done = rotate_keys_process(db, f"{NEW},{OLD}", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 sessions" in done.stdout

    assert_readable(open_store(db, NEW, HMAC_KEY), token)
    assert OLD not in db.read_bytes().decode(errors="ignore")


def test_without_rotation_the_old_key_is_still_needed(tmp_path: Path) -> None:
    """The oracle of the test above: dropping the old key unrotated does lose the data."""
    db = tmp_path / "coordinator.db"
    fill(open_store(db, OLD, HMAC_KEY))
    with pytest.raises(SessionIntegrityError):
        open_store(db, NEW, HMAC_KEY).get("live")


def test_accounts_survive_a_key_rotation_and_the_old_key_going(tmp_path: Path) -> None:
    """Emails, names, password hashes and links are sealed with the store's keys: after
    rotate_keys with the new key in front, the old key can go and every account works."""
    from coordinator_agent.accounts import AccountStore

    db = tmp_path / "coordinator.db"
    old = open_store(db, OLD, HMAC_KEY)
    accounts = AccountStore(old.engine, old.cipher)
    account_id = accounts.create("Pat@Example.com", "a long passphrase", "Pat Doe")
    accounts.link(account_id, "C-1001")
    token, _ = accounts.login("pat@example.com", "a long passphrase")
    assert b"pat@example.com" not in db.read_bytes().lower()

    rotated = open_store(db, f"{NEW},{OLD}", HMAC_KEY)
    counts = rotated.rotate_keys()
    assert counts["accounts"] == 1 and counts["account_links"] == 1

    new_only = open_store(db, NEW, HMAC_KEY)
    after = AccountStore(new_only.engine, new_only.cipher)
    assert after.account_id_for(token) == account_id
    account = after.account(account_id)
    assert (account.email, account.name, account.links) == (
        "pat@example.com",
        "Pat Doe",
        ["C-1001"],
    )
    assert after.login("PAT@example.com", "a long passphrase")[0]
