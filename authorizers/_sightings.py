"""Caches that keep only what repeats: the token cache and the response reuse.

Why: most credentials reach a function once per API Gateway result-cache TTL, and building a
cache entry for each (~4 KB of fresh objects for a token) costs more than it saves. A first
sighting leaves only a hash in a bounded set; the entry is built at the second.
"""

from __future__ import annotations

#: Hashes noted per entry of the cache they admit to. The set is cleared when full: a
#: forgotten hash only delays an entry by one sighting, a colliding one admits it one early
#: (only what the caller already decided to keep is ever admitted).
SEEN_PER_ENTRY = 4


def seen_before(seen: set[int], fingerprint: int, entries: int) -> bool:
    """Whether ``fingerprint`` was noted in ``seen`` (its second sighting: the note is dropped,
    its entry is kept now); if not, it is noted. ``entries``: the admitting cache's size.

    No lock: each set operation is atomic, and a race between two threads can only forget a
    note (admitting one sighting later) or admit early."""
    if fingerprint in seen:
        seen.discard(fingerprint)
        return True
    if len(seen) >= SEEN_PER_ENTRY * entries:
        seen.clear()
    seen.add(fingerprint)
    return False
