#!/usr/bin/env python3
"""The baseline of benches/ingest.rs: a naive heartbeat subscriber with nats-py.

Usage: ingest_baseline.py nats://127.0.0.1:PORT

Subscribes to `heartbeat.>` and keeps, for every subject, the time it was last seen
(with the payload split, as a consumer reading the signal would). Prints `ready` on
stdout once the server has the subscription; on SIGTERM (or SIGINT) prints
`received N` (messages its callback ran for) and `client N` (messages the client read
from the socket) and exits. It counts no loss: nats-py drops what does not fit its
pending queue and only tells its error callback, here the default one, a log line.
"""

import asyncio
import signal
import sys
import time

import nats


async def main(url: str) -> None:
    last_seen: dict[str, float] = {}
    count = 0

    async def on_message(msg) -> None:
        nonlocal count
        count += 1
        msg.data.split(b"/")
        last_seen[msg.subject] = time.time()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    nc = await nats.connect(url, name="heartwire-bench-ingest-baseline")
    await nc.subscribe("heartbeat.>", cb=on_message)
    await nc.flush()
    print("ready", flush=True)
    await stop.wait()
    print(f"received {count}", flush=True)
    print(f"client {nc.stats['in_msgs']}", flush=True)
    print(f"processes {len(last_seen)}", flush=True)
    await nc.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: ingest_baseline.py nats://HOST:PORT")
    asyncio.run(main(sys.argv[1]))
