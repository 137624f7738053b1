"""Decrypted contact rules kept in the worker, each valid only while its stored version is unchanged.

Contact decisions come in batches of thousands and mostly about the same customers again; opening their
sealed rules is most of a decision's cost. Entries are keyed by (customer, business) and checked against
the rows' `updated_at` (general preferences and this business's override) read fresh for every batch, so
a change takes effect on the very next decision. Memory only, bounded, least recently used out first.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from datetime import datetime

from vrm.vault.preferences import ContactRules

Stamp = tuple[datetime, datetime | None]
Key = tuple[uuid.UUID, uuid.UUID]


class RulesCache:
    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._entries: OrderedDict[Key, tuple[Stamp, ContactRules]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key, stamp: Stamp) -> ContactRules | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != stamp:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Key, stamp: Stamp, rules: ContactRules) -> None:
        with self._lock:
            self._entries[key] = (stamp, rules)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


RULES = RulesCache()
