"""Rate-limit counts in Redis at one round trip per request instead of two.

Flask-Limiter takes a request's hit in `before_request`, then reads the window again for the RateLimit
headers. With Redis that second read is a second round trip on every call, as costly as the first. This
storage's hit runs one script that takes the hit and returns the window as it left it, and answers the
header read that follows on the same thread from that, so each request talks to Redis once.

Counting is the `limits` library's own sliding-window counter (same keys, same arithmetic), so processes
using this storage and plain `redis://` ones share budgets.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from limits.storage import RedisStorage

# limits' acquire_sliding_window.lua, returning the window after the hit (or the refusal) as well.
ACQUIRE_AND_READ = """
local limit = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2]) * 1000
local amount = tonumber(ARGV[3])

local current_ttl = tonumber(redis.call('pttl', KEYS[2]))
if current_ttl > 0 and current_ttl < expiry then
    redis.call('rename', KEYS[2], KEYS[1])
    redis.call('set', KEYS[2], 0, 'PX', current_ttl + expiry)
end

local previous_count = tonumber(redis.call('get', KEYS[1])) or 0
local previous_ttl = math.max(tonumber(redis.call('pttl', KEYS[1])) or 0, 0)
local current_count = tonumber(redis.call('get', KEYS[2])) or 0
current_ttl = math.max(tonumber(redis.call('pttl', KEYS[2])) or 0, 0)

local weighted_count = math.floor(previous_count * previous_ttl / expiry) + current_count
if amount > limit or (weighted_count + amount) > limit then
    return {0, previous_count, previous_ttl, current_count, current_ttl}
end

if redis.call('exists', KEYS[2]) == 1 then
    current_count = tonumber(redis.call('incrby', KEYS[2], amount))
else
    redis.call('set', KEYS[2], amount, 'PX', expiry * 2)
    current_count = amount
end
current_ttl = tonumber(redis.call('pttl', KEYS[2]))
return {1, previous_count, previous_ttl, current_count, current_ttl}
"""
FRESH_FOR = 1.0  # seconds: a window read this long after the hit asks Redis again


class OneTripRedisStorage(RedisStorage):
    """`vrm+redis://host:port/db`: a Redis storage whose hits also remember the window they left."""

    STORAGE_SCHEME = ["vrm+redis", "vrm+rediss"]  # noqa: RUF012 (the base class declares it so)

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.removeprefix("vrm+"), **options)
        self._last = threading.local()  # one request runs on one thread from its hit to its headers

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_acquire_and_read = self.get_connection().register_script(ACQUIRE_AND_READ.encode())

    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        previous_key = self.prefixed_key(self._previous_window_key(key))
        current_key = self.prefixed_key(self._current_window_key(key))
        acquired, *window = self.lua_acquire_and_read([previous_key, current_key], [limit, expiry, amount])
        self._last.seen = (key, expiry, time.monotonic(), window)
        return bool(acquired)

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        seen, self._last.seen = getattr(self._last, "seen", None), None
        if seen is None or seen[:2] != (key, expiry) or time.monotonic() - seen[2] > FRESH_FOR:
            return super().get_sliding_window(key, expiry)
        previous_count, previous_ttl, current_count, current_ttl = seen[3]
        elapsed = time.monotonic() - seen[2]  # the TTLs as Redis would give them now, not at the hit
        return (
            int(previous_count),
            max(0.0, previous_ttl / 1000 - elapsed),
            int(current_count),
            max(0.0, current_ttl / 1000 - elapsed),
        )
