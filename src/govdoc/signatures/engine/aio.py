"""Running pyHanko's coroutines from GovDoc's synchronous code.

``asyncio.run`` refuses to start when the calling thread already runs an event loop (an async
view, a Playwright-driven test, a notebook). Then the coroutine runs on a fresh loop in a
helper thread and the caller waits for it: the engine stays a plain synchronous API everywhere.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="govdoc-engine-aio")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    return _pool.submit(asyncio.run, coroutine).result()
