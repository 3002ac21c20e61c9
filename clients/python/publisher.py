#!/usr/bin/env python3
"""A small liveness record publisher, in the manner of the seed's HeartbeatPublisher.

    python publisher.py [--service NAME] [--count N]

Builds N records (one per interval in a real publisher; here at once) with the standard
library only, checks each against spec/schema/record.schema.json with validate.py's
validators (formats checked), and prints each as one JSON line. Exits 1, with the
schema's complaints on stderr, if a record does not validate.
"""

import argparse
import json
import os
import resource
import sys
import time
import uuid
from datetime import datetime, timezone

import validate

STARTED = time.monotonic()


def record(service_name, instance_id, count, extras):
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = usage.ru_utime + usage.ru_stime
    uptime = time.monotonic() - STARTED
    return {
        "service_name": service_name,
        "instance_id": instance_id,
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "uptime_seconds": round(uptime, 3),
        "heartbeat_count": count,
        # ru_maxrss is in kibibytes on Linux.
        "memory_usage_mb": round(usage.ru_maxrss / 1024, 2),
        "cpu_usage_percent": round(100 * cpu_seconds / uptime, 1) if uptime > 0 else None,
        **extras,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", default="python_publisher")
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()

    schema = validate.validators(validate.SCHEMAS)["record"]
    instance_id = str(uuid.uuid4())
    for count in range(1, args.count + 1):
        document = record(args.service, instance_id, count, {"pid": os.getpid(), "queue_size": 0})
        errors = list(schema.iter_errors(document))
        for error in errors:
            print(f"publisher.py: {'/'.join(map(str, error.path)) or '(record)'}: {error.message}", file=sys.stderr)
        if errors:
            return 1
        print(json.dumps(document, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
