"""SocketSlots port in memory: the open websockets per client address of this process alone."""

from __future__ import annotations

from collections.abc import Sequence


class MemorySocketSlots:
    """Counts this instance's sockets per address (nothing to renew: the process is the holder)."""

    def __init__(self) -> None:
        self.held: dict[str, set[str]] = {}

    async def acquire(self, ip: str, slot: str, *, limit: int) -> bool:
        mine = self.held.setdefault(ip, set())
        if slot not in mine and len(mine) >= limit:
            return False
        mine.add(slot)
        return True

    async def release(self, ip: str, slot: str) -> None:
        mine = self.held.get(ip)
        if mine is not None:
            mine.discard(slot)
            if not mine:
                del self.held[ip]

    async def renew(self, held: Sequence[tuple[str, str]]) -> None:
        return None

    async def close(self) -> None:
        self.held.clear()
