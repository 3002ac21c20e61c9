"""Reads a Prometheus text exposition on stdin with the Prometheus client's own parser
(prometheus_client.parser) and prints its samples as JSON lines: name, labels, value.
A document the parser refuses ends with its error on stderr and exit status 1."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families

try:
    families = list(text_string_to_metric_families(sys.stdin.read()))
except Exception as error:  # the parser raises ValueError and others
    print(f"not a valid exposition: {error!r}", file=sys.stderr)
    sys.exit(1)
for family in families:
    for sample in family.samples:
        print(json.dumps({"family": family.name, "type": family.type, "name": sample.name,
                          "labels": sample.labels, "value": sample.value}))
