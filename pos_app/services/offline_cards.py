"""Lookups that still answer offline: every card seen online is cached, and shown stale later."""

from __future__ import annotations

import logging
from dataclasses import replace

from pos_app.domain import Provider
from pos_app.journal.card_cache import CachedCard, CardCache
from pos_app.services.card_snapshots import SnapshotError, match_from_json, match_to_json
from pos_app.services.delivery import card_key
from pos_app.services.lookup import Match

log = logging.getLogger(__name__)
__all__ = ["OfflineCards"]


class OfflineCards:
    def __init__(self, cache: CardCache) -> None:
        self.cache = cache

    def remember(self, code: str, matches: list[Match]) -> None:
        for match in matches:
            if match.subject is None or match.stale_seconds is not None:
                continue  # only what a back-end just said is worth keeping
            try:
                key = card_key(match)
            except ValueError:
                continue
            self.cache.remember(match.provider, key, match_to_json(match), code=code)

    def update(self, match: Match) -> None:
        """A card re-read online after an action: the newest state, under its known codes."""
        if match.subject is None:
            return
        try:
            key = card_key(match)
        except ValueError:
            return
        self.cache.remember(match.provider, key, match_to_json(replace(match, stale_seconds=None)))

    def recall(self, code: str, provider: Provider) -> list[Match]:
        """Cached cards for this code, each marked with how old its information is."""
        return [m for m in (self.read(c) for c in self.cache.recall(code, provider)) if m]

    def seen(self, match: Match) -> CachedCard | None:
        """When this card was last read online on this till (the offline policy's freshness)."""
        try:
            return self.cache.get(match.provider, card_key(match))
        except ValueError:
            return None

    def read(self, cached: CachedCard) -> Match | None:
        """The cached card as a match marked with its age; None if the snapshot is unreadable."""
        try:
            match = match_from_json(cached.snapshot)
        except SnapshotError as exc:
            log.warning("cached card %s unreadable: %s", cached.provider.value, exc)
            return None
        return replace(match, stale_seconds=cached.age_seconds())
