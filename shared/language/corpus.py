"""The labelled corpora: loading, a fixed train/test split, and the hash that keys built models."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")
CUSTOMER_DIR = DATA_DIR / "customer_messages"
CS_DIR = DATA_DIR / "cs_replies"
TEST_SHARE_BUCKETS = 5  # one bucket in five is the test split: 20%


class CorpusError(ValueError):
    """A corpus file is malformed."""


def load(folder: Path) -> list[dict[str, Any]]:
    """Every record of a corpus folder, each tagged with its file (`writer`)."""
    records: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{path.name}:{number}: {error}") from error
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise CorpusError(f"{path.name}:{number}: a record needs a text")
            records.append({**record, "writer": path.stem})
    return records


def is_test(text: str) -> bool:
    """The fixed split: a text's hash, not its position, decides (stable as files grow)."""
    digest = hashlib.sha256(text.strip().lower().encode()).digest()
    return digest[0] % TEST_SHARE_BUCKETS == 0


def split(records: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, test)."""
    train, test = [], []
    for record in records:
        (test if is_test(record["text"]) else train).append(record)
    return train, test


def fingerprint(*folders: Path, salt: str = "") -> str:
    """A hash of every corpus file (and a salt naming the model code's version)."""
    digest = hashlib.sha256(salt.encode())
    for folder in folders:
        for path in sorted(folder.glob("*.jsonl")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
