"""Running pyHanko's coroutines from GovDoc's synchronous code.

``asyncio.run`` refuses to start when the calling thread already runs an event loop (an async
view, a Playwright-driven test, a notebook). Then the coroutine runs on a fresh loop in a
helper thread and the caller waits for it: the engine stays a plain synchronous API everywhere.

Each thread keeps one event loop for its engine calls: ``asyncio.run`` makes and tears down a
loop (selector, executor shutdown, async generator clean-up) per call, a few milliseconds on
every seal, which makes three such calls.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="govdoc-engine-aio")


_local = threading.local()


def _loop() -> asyncio.AbstractEventLoop:
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = _local.loop = asyncio.new_event_loop()
    return loop


def _run_here(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on this thread's kept loop (no loop runs in this thread)."""
    return _loop().run_until_complete(coroutine)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_here(coroutine)
    return _pool.submit(_run_here, coroutine).result()
