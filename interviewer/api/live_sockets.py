"""The open websockets of this instance: counted per client address (across the instances when the
count is shared), told to go on shutdown or revocation."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from interviewer.errors import TooManyConnections
from interviewer.service.claims import KEY_REVOKED, REVOCATIONS
from interviewer.service.ports import SessionEvents, SocketSlots

if TYPE_CHECKING:
    from interviewer.api.ws import Connection

log = logging.getLogger("interviewer.ws")


class LiveSockets:
    """The open sockets of this app, so that a stopping server can tell each one to reconnect."""

    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self.closing = False

    async def add(self, conn: Connection, slots: SocketSlots, limit: int) -> None:
        """Count the socket against its client address; TooManyConnections past `limit`."""
        if not await slots.acquire(conn.ip, conn.slot, limit=limit):
            raise TooManyConnections(f"at most {limit} open connections per client address",
                                     retry_after=TooManyConnections.default_retry_after)
        self.connections.add(conn)

    async def discard(self, conn: Connection, slots: SocketSlots) -> None:
        if conn in self.connections:
            self.connections.discard(conn)
            await slots.release(conn.ip, conn.slot)

    async def keep_slots(self, slots: SocketSlots, interval: float) -> None:
        """Renew the slots of this instance's sockets every `interval` seconds (until cancelled):
        were the process killed, they would expire instead of holding the addresses' count."""
        while True:
            await asyncio.sleep(interval)
            try:
                await slots.renew([(c.ip, c.slot) for c in list(self.connections)])
            except Exception:  # Redis restarting: renew next time (a slot lost meanwhile only frees room)
                log.warning("ws.slots_renew_failed", exc_info=True)

    async def shutdown(self, grace: float) -> None:
        """Stop taking sessions; each socket gets its in-flight grade, then the notice and 1012."""
        self.closing = True
        await asyncio.gather(*(c.shutdown(grace) for c in list(self.connections)))

    async def revoke(self, key_id: str) -> int:
        """Close every socket opened with `key_id` (key_revoked, 4401); returns how many."""
        mine = [c for c in list(self.connections) if c.principal is not None and c.principal.key_id == key_id]
        await asyncio.gather(*(c.revoked() for c in mine))
        return len(mine)

    async def watch_revocations(self, events: SessionEvents) -> None:
        """Close this instance's sockets of keys revoked on any instance (runs until cancelled)."""
        while True:
            try:
                async with events.subscribe(REVOCATIONS) as sub:
                    async for msg in sub:
                        if msg.get("type") == KEY_REVOKED and isinstance(msg.get("key_id"), str):
                            closed = await self.revoke(msg["key_id"])
                            log.info("ws.key_revoked", extra={"key_id": msg["key_id"], "sockets": closed})
            except Exception:  # e.g. Redis restarting: listen again; sockets also re-check their key
                log.warning("ws.revocation_watch_failed", exc_info=True)
            await asyncio.sleep(1.0)
