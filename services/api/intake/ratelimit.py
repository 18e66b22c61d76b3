"""A token bucket per client, in this process's memory.

Limitation, by design: each API process keeps its own buckets, so N replicas
let a client through N times the configured rate, and a restart forgets
everything. That is enough to stop one script flooding the form; a shared
limit belongs in the reverse proxy in front of Signaal. The client is
`services.api.clientaddress.client_address`: forwarded headers count only from
the proxies in SIGNAAL_TRUSTED_PROXIES (default: none).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

# Enough for a busy day's distinct visitors; forgetting the oldest bucket only gives it a fresh one.
MAX_CLIENTS = 50_000


class TokenBucketLimiter:
    def __init__(
        self,
        per_minute: int,
        *,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client → (tokens, at)
        self._lock = threading.Lock()

    def take(self, client: str) -> int:
        """Spend one token for `client`: 0 when allowed, else whole seconds until one is available."""
        if self.capacity <= 0:
            return 0
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                wait = 0
            else:
                self._buckets[client] = (tokens, now)
                wait = max(1, math.ceil((1 - tokens) / self.rate))
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait
