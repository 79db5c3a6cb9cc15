"""Password hashing: argon2 in worker threads of low priority, a bounded number at a time."""

import asyncio
import contextlib
import os
import secrets
import sys
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from ..core.errors import ServiceUnavailableError

# Argon2 hashes; bcrypt hashes (e.g. imported from another system) still verify and are replaced
# by argon2 at the next successful login.
password_hash = PasswordHash((Argon2Hasher(), BcryptHasher()))


def _lowest_priority() -> None:
    if sys.platform == "linux":  # where a thread has a niceness of its own, passed on to argon2's
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


# Hashing has threads of its own, at the lowest CPU priority: a storm of sign-ins keeps every core
# busy (argon2 computes each hash in 4 lanes, on threads of its own), and the event loop must
# still get its turn at once.
# PasswordHasher bounds how many hash at a time; this only caps the threads ever started.
_hashing_threads = ThreadPoolExecutor(
    max_workers=32, thread_name_prefix="password-hashing", initializer=_lowest_priority
)


class PasswordHasher:
    """Hashes and checks passwords off the event loop, at most `max_concurrent` at a time.

    Each argon2 hash holds 64 MiB while it runs: without a bound, a burst of logins takes as many
    worker threads and as much memory as there are requests. Up to `max_waiting` more wait for a
    turn; beyond that a request is refused at once with a 503 (Retry-After), not queued.
    """

    def __init__(self, *, max_concurrent: int, max_waiting: int) -> None:
        self._turns = asyncio.Semaphore(max_concurrent)
        self._max_waiting = max_waiting
        self._waiting = 0

    async def hash(self, password: str) -> str:
        async with self._turn():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(_hashing_threads, password_hash.hash, password)

    async def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        """Check a password; the second item is a new hash when the stored one is outdated.

        Pass `hashed=None` for an unknown user: a dummy hash is verified instead, so the answer
        takes as long as for a wrong password and its timing does not tell which e-mails exist.
        """
        async with self._turn():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(_hashing_threads, _verify, password, hashed)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if self._turns.locked() and self._waiting >= self._max_waiting:
            raise ServiceUnavailableError(
                "Too many sign-ins at once: try again shortly", headers={"Retry-After": "1"}
            )
        self._waiting += 1
        try:
            await self._turns.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._turns.release()


def _verify(password: str, hashed: str | None) -> tuple[bool, str | None]:
    if hashed is None:
        password_hash.verify(password, _dummy_hash())
        return False, None
    return password_hash.verify_and_update(password, hashed)


@cache
def _dummy_hash() -> str:
    return password_hash.hash(secrets.token_urlsafe())
