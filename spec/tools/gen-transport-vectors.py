#!/usr/bin/env python3
"""Writes spec/vectors/transport.json, the vectors of spec/transports.md §1.8 and §7.

Every case states its expectation by hand. A small model of §1.8 below, written from the
chapter and independently of heartwire, computes each case again, and the script stops
when the two disagree; so every expectation is checked twice before it is written.

Run: python3 spec/tools/gen-transport-vectors.py
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "spec" / "vectors" / "transport.json"

TCHAR = re.compile(rb"[A-Za-z0-9_-]")


class Rejected(Exception):
    def __init__(self, error, offset=None, path=None):
        super().__init__(error)
        self.error, self.offset, self.path = error, offset, path


def utf8(data, base=0):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Rejected("encoding.utf8", base + e.start)


def process(name, base=0, limit=245):
    """text.md §3 and §7 on a process (or extension point) name: length, encoding, then
    the grammar left to right; offsets plus `base`."""
    if len(name) > limit:
        raise Rejected("limit.length", base + limit)
    utf8(name, base)
    at = 0
    while True:
        start = at
        while at < len(name) and TCHAR.fullmatch(name[at:at + 1]):
            at += 1
        if at < len(name) and name[at:at + 1] != b".":
            raise Rejected("subject.forbidden-char", base + at)
        if at == start:
            raise Rejected("subject.empty-token", base + start)
        if at == len(name):
            return name.decode()
        at += 1


def common(a, b):
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def subject(s):
    """text.md §3, §7, §8: a subject to its process name."""
    if len(s) > 255:
        raise Rejected("limit.length", 255)
    utf8(s)
    if not s.startswith(b"heartbeat."):
        raise Rejected("subject.prefix", common(s, b"heartbeat."))
    return process(s[10:], 10, limit=245)


def command(a):
    if not a.startswith(b"command."):
        raise Rejected("subject.prefix", common(a, b"command."))
    return process(a[8:], 8)


def service(name, base=0):
    """record.md §3: one token, at most 128 bytes."""
    if len(name) > 128:
        raise Rejected("name.too-long", base + 128)
    if not name:
        raise Rejected("name.empty", base)
    for i, ch in enumerate(name):
        if not re.fullmatch(r"[A-Za-z0-9_-]", ch):
            raise Rejected("name.forbidden-char", base + len(name[:i].encode()))
    return name


def channel(text):
    """record.md §9.2."""
    hb, he, suffix = "heartbeat:service:", "health:service:", ":heartbeat"
    if text.startswith(hb):
        return service(text[len(hb):], len(hb)), "heartbeat"
    if text.startswith(he):
        rest = text[len(he):]
        end = rest.find(":") if ":" in rest else len(rest)
        name = service(rest[:end], len(he))
        tail = rest[end:]
        if tail != suffix:
            raise Rejected("channel.suffix", len(he) + end + common(tail, suffix))
        return name, "health"
    raise Rejected("channel.prefix", max(common(text, hb), common(text, he)))


def decode(broker, a):
    """§1.8, an address to its name: {"kind", "name"[, "convention"]}."""
    if broker in ("nats", "amqp", "redis"):
        if broker == "redis" and a.startswith(b"heartbeat."):
            return {"kind": "text", "name": subject(a)}
        if a.startswith(b"command."):
            return {"kind": "command", "name": command(a)}
        if broker != "redis":
            return {"kind": "text", "name": subject(a)}
        utf8(a)
        name, convention = channel(a.decode())
        return {"kind": "record", "name": name, "convention": convention}
    if broker == "mqtt":
        utf8(a)
        if a.startswith(b"command/"):
            kind, root, dotted = "command", b"command/", b"command."
        elif a.startswith(b"heartbeat-presence/"):
            kind, root, dotted = "presence", b"heartbeat-presence/", b"heartbeat."
        else:
            kind, root, dotted = "text", b"", b""
        if b"." in a:
            raise Rejected("subject.forbidden-char", a.index(b"."))
        mapped = dotted + a[len(root):].replace(b"/", b".")
        shift = len(root) - len(dotted)
        try:
            name = command(mapped) if kind == "command" else subject(mapped)
        except Rejected as e:
            raise Rejected(e.error, e.offset + shift)
        return {"kind": kind, "name": name}
    raise Rejected("broker.unknown", None, "broker")


def encode(broker, kind, name, convention=None):
    """§1.8, a name to its address."""
    if broker not in ("nats", "redis", "mqtt", "amqp"):
        raise Rejected("broker.unknown", None, "broker")
    carried = {"text": True, "command": True, "presence": broker == "mqtt",
               "record": broker == "redis"}
    if not carried.get(kind, False):
        raise Rejected("kind.unknown", None, "kind")
    if kind == "record":
        if convention not in ("heartbeat", "health"):
            raise Rejected("convention.unknown", None, "convention")
        try:
            service(name)
        except Rejected as e:
            raise Rejected(e.error, e.offset, "name")
        return f"heartbeat:service:{name}" if convention == "heartbeat" \
            else f"health:service:{name}:heartbeat"
    try:
        process(name.encode())
    except Rejected as e:
        raise Rejected(e.error, e.offset, "name")
    if broker == "mqtt":
        root = {"text": "heartbeat", "presence": "heartbeat-presence", "command": "command"}[kind]
        return root + "/" + name.replace(".", "/")
    return ("command." if kind == "command" else "heartbeat.") + name


cases = []


def add(case_id, section, description, operation, args, expect):
    if operation == "decode":
        data = bytes.fromhex(args["address_hex"]) if "address_hex" in args \
            else args["address"].encode()
        try:
            form = decode(args["broker"], data)
            model = {"decoded": form,
                     "encoded": encode(args["broker"], form["kind"], form["name"],
                                       form.get("convention"))}
        except Rejected as e:
            model = {"error": e.error}
            if e.offset is not None:
                model["offset"] = e.offset
            model["path"] = e.path or "address"
    else:
        try:
            model = {"encoded": encode(args["broker"], args["kind"], args["name"],
                                       args.get("convention"))}
        except Rejected as e:
            model = {"error": e.error}
            if e.offset is not None:
                model["offset"] = e.offset
            model["path"] = e.path
    assert model == expect, f"{case_id}: the model says {model}, the case {expect}"
    if operation == "decode" and "encoded" in expect and "address" in args:
        assert expect["encoded"] == args["address"], f"{case_id}: not a bijection"
    cases.append({"id": f"transport.{case_id}", "description": description,
                  "section": section, "operation": operation, "input": {"args": args},
                  "expect": expect})


def ok(case_id, section, description, broker, address, kind, name, convention=None):
    """A valid address, both ways: decode it, and encode its name back to it."""
    form = {"kind": kind, "name": name}
    if convention:
        form["convention"] = convention
    add(case_id, section, description, "decode",
        {"broker": broker, "address": address}, {"decoded": form, "encoded": address})


def enc(case_id, section, description, broker, kind, name, expect, convention=None):
    args = {"broker": broker, "kind": kind, "name": name}
    if convention is not None:
        args["convention"] = convention
    add(case_id, section, description, "encode", args,
        expect if isinstance(expect, dict) else {"encoded": expect})


def bad(case_id, section, description, broker, address, error, offset, hex_bytes=None,
        path="address"):
    args = {"broker": broker}
    if hex_bytes is not None:
        args["address_hex"] = hex_bytes.hex()
    else:
        args["address"] = address
    expect = {"error": error}
    if offset is not None:
        expect["offset"] = offset
    expect["path"] = path
    add(case_id, section, description, "decode", args, expect)


def err(error, offset, path):
    e = {"error": error}
    if offset is not None:
        e["offset"] = offset
    e["path"] = path
    return e


P245 = ".".join(["a" * 40] * 6)[:245]  # a dotted name of exactly 245 bytes
assert len(P245) == 245 and not P245.endswith(".")
P246 = P245 + "b"

# §2 NATS: beatit subjects.
ok("nats.text-dotted", "2", "beatit's own example: the subject is heartbeat. and the process", "nats",
   "heartbeat.my.process.identifier", "text", "my.process.identifier")
ok("nats.text-one-token", "2", "a process of one token with '-' and '_'", "nats",
   "heartbeat.billing-worker_7", "text", "billing-worker_7")
ok("nats.text-longest", "2", "a 245-byte process makes the longest subject, 255 bytes", "nats",
   "heartbeat." + P245, "text", P245)
enc("nats.encode-text", "2", "a process's subject on NATS", "nats", "text", "billing.worker-1",
    "heartbeat.billing.worker-1")
bad("nats.text-too-long", "2", "a 256-byte subject: limit.length at byte 255", "nats",
    "heartbeat." + P246, "limit.length", 255)
bad("nats.full-wildcard", "2", "the subscription filter heartbeat.> is not an address: '>' at byte 10",
    "nats", "heartbeat.>", "subject.forbidden-char", 10)
bad("nats.token-wildcard", "2", "'*' is a NATS wildcard, at byte 12", "nats", "heartbeat.a.*",
    "subject.forbidden-char", 12)
bad("nats.system-subject", "2", "a $SYS subject is under neither root: subject.prefix at byte 0", "nats",
    "$SYS.heartbeat.a", "subject.prefix", 0)
bad("nats.dollar-token", "2", "a '$' token under heartbeat., at byte 10", "nats", "heartbeat.$x",
    "subject.forbidden-char", 10)
bad("nats.root-only", "2", "heartbeat alone: the prefix fails at byte 9", "nats", "heartbeat",
    "subject.prefix", 9)
bad("nats.root-dot-only", "2", "heartbeat. with no process: an empty token at byte 10", "nats",
    "heartbeat.", "subject.empty-token", 10)
bad("nats.upper-case-root", "2", "the root is lower case: Heartbeat fails at byte 0", "nats",
    "Heartbeat.a", "subject.prefix", 0)
bad("nats.longer-root", "2", "heartbeats.a is under neither root: byte 9 differs from heartbeat.",
    "nats", "heartbeats.a", "subject.prefix", 9)
bad("nats.not-utf8", "2", "a subject that is not UTF-8: encoding.utf8 at its byte", "nats", None,
    "encoding.utf8", 11, hex_bytes=b"heartbeat.a\xff")
enc("nats.encode-space", "2", "a name with a space has no subject: forbidden at byte 2 of the name",
    "nats", "text", "my process", err("subject.forbidden-char", 2, "name"))

# §5 AMQP: the routing key is the subject.
ok("amqp.text", "5", "the routing key of a process is its subject", "amqp", "heartbeat.orders.eu-1",
   "text", "orders.eu-1")
enc("amqp.encode-text", "5", "a process's routing key", "amqp", "text", "orders", "heartbeat.orders")
enc("amqp.encode-command", "5", "the default extension point's routing key", "amqp", "command",
    "Platform.Plugin", "command.Platform.Plugin")
bad("amqp.binding-wildcard", "5", "the binding key heartbeat.# is not a routing key: '#' at byte 10",
    "amqp", "heartbeat.#", "subject.forbidden-char", 10)
bad("amqp.routing-key-too-long", "5", "a routing key of 256 bytes: limit.length at 255", "amqp",
    "heartbeat." + P246, "limit.length", 255)
bad("amqp.other-exchange-key", "5", "a key under neither root: prefix at byte 0", "amqp", "orders.created",
    "subject.prefix", 0)

# §3.1 Redis: text channels, command channels, record channels.
ok("redis.text", "3.1", "a text channel is the subject", "redis", "heartbeat.billing.worker-1", "text",
   "billing.worker-1")
ok("redis.record-heartbeat", "3.1", "a record channel of the heartbeat convention", "redis",
   "heartbeat:service:tracker_fetcher", "record", "tracker_fetcher", "heartbeat")
ok("redis.record-health", "3.1", "a record channel of the health convention", "redis",
   "health:service:geofence_service:heartbeat", "record", "geofence_service", "health")
enc("redis.encode-text", "3.1", "a process's text channel", "redis", "text", "a.b", "heartbeat.a.b")
enc("redis.encode-record-heartbeat", "3.1", "a service's channel, heartbeat convention", "redis",
    "record", "tracker_fetcher", "heartbeat:service:tracker_fetcher", convention="heartbeat")
enc("redis.encode-record-health", "3.1", "a service's channel, health convention", "redis", "record",
    "tracker_fetcher", "health:service:tracker_fetcher:heartbeat", convention="health")
bad("redis.text-pattern", "3.1", "the PSUBSCRIBE pattern heartbeat.* is not a channel: '*' at byte 10",
    "redis", "heartbeat.*", "subject.forbidden-char", 10)
bad("redis.text-glob", "3.1", "a Redis glob character in a text channel: '?' at byte 11", "redis",
    "heartbeat.a?", "subject.forbidden-char", 11)
bad("redis.root-only", "3.1", "heartbeat alone is read as a record channel: channel.prefix at 9",
    "redis", "heartbeat", "channel.prefix", 9)
bad("redis.other-channel", "3.1", "a channel under no root: channel.prefix at byte 0", "redis",
    "orders:created", "channel.prefix", 0)
bad("redis.record-pattern", "3.1", "the record pattern is not a channel: '*' at byte 18", "redis",
    "heartbeat:service:*", "name.forbidden-char", 18)
bad("redis.record-not-utf8", "3.1", "a channel under no text root that is not UTF-8: encoding.utf8",
    "redis", None, "encoding.utf8", 18, hex_bytes=b"heartbeat:service:\xff")
bad("redis.text-not-utf8", "3.1", "a text channel that is not UTF-8, at its byte", "redis", None,
    "encoding.utf8", 10, hex_bytes=b"heartbeat.\xc3")
enc("redis.encode-record-dotted", "3.1", "a service name is one token: '.' at byte 7 of the name",
    "redis", "record", "tracker.fetcher", err("name.forbidden-char", 7, "name"), convention="heartbeat")
enc("redis.encode-record-convention", "3.1", "a record channel needs a known convention", "redis",
    "record", "a", err("convention.unknown", None, "convention"), convention="redis")

# §4.1 MQTT text topics.
ok("mqtt.text-levels", "4.1", "each token of the process is a topic level", "mqtt",
   "heartbeat/billing/worker-1", "text", "billing.worker-1")
ok("mqtt.text-one-level", "4.1", "a process of one token", "mqtt", "heartbeat/orders", "text", "orders")
ok("mqtt.text-longest", "4.1", "a 245-byte process makes a 255-byte topic", "mqtt",
   "heartbeat/" + P245.replace(".", "/"), "text", P245)
enc("mqtt.encode-text", "4.1", "dots become levels", "mqtt", "text", "my.process.identifier",
    "heartbeat/my/process/identifier")
bad("mqtt.dotted-level", "4.1", "a '.' in a topic is refused at its byte", "mqtt", "heartbeat/a.b",
    "subject.forbidden-char", 11)
bad("mqtt.dotted-root", "4.1", "heartbeat.a on MQTT: the '.' at byte 9, before the prefix", "mqtt",
    "heartbeat.a", "subject.forbidden-char", 9)
bad("mqtt.plus-wildcard", "4.1", "the single-level wildcard '+', at byte 12", "mqtt", "heartbeat/a/+",
    "subject.forbidden-char", 12)
bad("mqtt.hash-wildcard", "4.1", "the subscription filter heartbeat/# is not a topic: '#' at byte 10",
    "mqtt", "heartbeat/#", "subject.forbidden-char", 10)
bad("mqtt.empty-level", "4.1", "an empty level is an empty token, at byte 12", "mqtt", "heartbeat/a//b",
    "subject.empty-token", 12)
bad("mqtt.trailing-slash", "4.1", "a trailing '/' leaves an empty last level, at byte 12", "mqtt",
    "heartbeat/a/", "subject.empty-token", 12)
bad("mqtt.root-only", "4.1", "heartbeat alone: the prefix fails at byte 9", "mqtt", "heartbeat",
    "subject.prefix", 9)
bad("mqtt.other-root", "4.1", "a topic under another root: prefix at byte 0", "mqtt", "orders/created",
    "subject.prefix", 0)
bad("mqtt.longer-root", "4.1", "heartbeatx/a: byte 9 differs from heartbeat/", "mqtt", "heartbeatx/a",
    "subject.prefix", 9)
bad("mqtt.system-topic", "4.1", "a $SYS topic is under no root: prefix at byte 0", "mqtt",
    "$SYS/heartbeat/a", "subject.prefix", 0)
bad("mqtt.leading-slash", "4.1", "/heartbeat/a: prefix at byte 0", "mqtt", "/heartbeat/a",
    "subject.prefix", 0)
bad("mqtt.too-long", "4.1", "a 256-byte text topic: limit.length at byte 255", "mqtt",
    "heartbeat/" + P246.replace(".", "/"), "limit.length", 255)
bad("mqtt.dot-before-length", "4.1", "a '.' is refused before the length is judged", "mqtt",
    "heartbeat/" + "a" * 300 + ".b", "subject.forbidden-char", 310)
bad("mqtt.not-utf8", "4.1", "a topic that is not UTF-8: encoding.utf8 before anything else", "mqtt",
    None, "encoding.utf8", 2, hex_bytes=b"he\xff.x")
bad("mqtt.non-ascii-level", "4.1", "a non-ASCII letter in a level, at its first byte", "mqtt",
    "heartbeat/caf\u00e9", "subject.forbidden-char", 13)
enc("mqtt.encode-slash-name", "4.1", "a '/' in a name would change the topic's depth: refused", "mqtt",
    "text", "a/b", err("subject.forbidden-char", 1, "name"))
enc("mqtt.encode-empty-token", "4.1", "a name with two dots in a row has no topic", "mqtt", "text", "a..b",
    err("subject.empty-token", 2, "name"))
enc("mqtt.encode-too-long", "4.1", "a 246-byte name: limit.length at byte 245 of the name", "mqtt",
    "text", P246, err("limit.length", 245, "name"))

# §4.2 MQTT presence topics.
ok("mqtt.presence", "4.2", "a process's presence topic", "mqtt", "heartbeat-presence/billing/worker-1",
   "presence", "billing.worker-1")
ok("mqtt.presence-longest", "4.2", "a 245-byte process makes a 264-byte presence topic", "mqtt",
   "heartbeat-presence/" + P245.replace(".", "/"), "presence", P245)
enc("mqtt.encode-presence", "4.2", "dots become levels under heartbeat-presence", "mqtt", "presence",
    "my.process", "heartbeat-presence/my/process")
bad("mqtt.presence-too-long", "4.2", "a 246-byte process in a presence topic: limit.length at byte 264",
    "mqtt", "heartbeat-presence/" + P246.replace(".", "/"), "limit.length", 264)
bad("mqtt.presence-empty", "4.2", "heartbeat-presence/ with no process: empty token at byte 19", "mqtt",
    "heartbeat-presence/", "subject.empty-token", 19)
bad("mqtt.presence-plus", "4.2", "'+' in a presence topic, at its byte in the topic", "mqtt",
    "heartbeat-presence/a/+", "subject.forbidden-char", 21)
bad("mqtt.presence-dotted", "4.2", "a '.' in a presence topic, at its byte", "mqtt",
    "heartbeat-presence/a.b", "subject.forbidden-char", 20)
bad("mqtt.presence-root-only", "4.2", "heartbeat-presence without '/' is a text topic: prefix at 9",
    "mqtt", "heartbeat-presence", "subject.prefix", 9)
enc("mqtt.encode-presence-nats", "4.2", "presence is MQTT's only: none on NATS", "nats", "presence", "a",
    err("kind.unknown", None, "kind"))

# §1.7 command addresses, on every broker.
for broker in ("nats", "redis", "amqp"):
    ok(f"command.{broker}-platform-plugin", "1.7", f"the default extension point's command address on {broker}",
       broker, "command.Platform.Plugin", "command", "Platform.Plugin")
    enc(f"command.{broker}-encode-core-plugin", "1.7", f"older code's extension point on {broker}", broker,
        "command", "Core.Plugin", "command.Core.Plugin")
ok("command.mqtt-platform-plugin", "1.7", "the default extension point's command topic", "mqtt",
   "command/Platform/Plugin", "command", "Platform.Plugin")
ok("command.nats-one-token", "1.7", "the seed's adminCommandTopic, one token", "nats",
   "command.CorePluginExtensionPoint", "command", "CorePluginExtensionPoint")
ok("command.nats-longest", "1.7", "a 245-byte extension point makes a 253-byte address", "nats",
   "command." + P245, "command", P245)
ok("command.mqtt-longest", "1.7", "a 245-byte extension point makes a 253-byte topic", "mqtt",
   "command/" + P245.replace(".", "/"), "command", P245)
enc("command.mqtt-encode", "1.7", "dots become levels under command/", "mqtt", "command",
    "Platform.Plugin", "command/Platform/Plugin")
bad("command.nats-too-long", "1.7", "a 246-byte extension point: limit.length at byte 253 of the address",
    "nats", "command." + P246, "limit.length", 253)
bad("command.mqtt-too-long", "1.7", "a 246-byte extension point in a topic: limit.length at byte 253",
    "mqtt", "command/" + P246.replace(".", "/"), "limit.length", 253)
bad("command.nats-empty", "1.7", "command. with no extension point: empty token at byte 8", "nats",
    "command.", "subject.empty-token", 8)
bad("command.redis-double-dot", "1.7", "two dots in a row: empty token at byte 10", "redis", "command.a..b",
    "subject.empty-token", 10)
bad("command.nats-wildcard", "1.7", "command.> is a filter, not an address: '>' at byte 8", "nats",
    "command.>", "subject.forbidden-char", 8)
bad("command.amqp-space", "1.7", "'Core Plugin' is not an extension point: the space at byte 12",
    "amqp", "command.Core Plugin", "subject.forbidden-char", 12)
bad("command.redis-non-ascii", "1.7", "a non-ASCII letter, at its first byte", "redis",
    "command.Pl\u00fcgin", "subject.forbidden-char", 10)
bad("command.nats-without-dot", "1.7", "command without its dot is no command address: prefix at 0",
    "nats", "command", "subject.prefix", 0)
bad("command.redis-longer-root", "1.7", "commands.a is neither a command nor a text channel", "redis",
    "commands.a", "channel.prefix", 0)
bad("command.nats-not-utf8", "1.7", "a command address that is not UTF-8, at its byte", "nats", None,
    "encoding.utf8", 9, hex_bytes=b"command.a\xfe")
bad("command.mqtt-plus", "1.7", "'+' in a command topic, at byte 8", "mqtt", "command/+",
    "subject.forbidden-char", 8)
bad("command.mqtt-hash", "1.7", "command/Platform/# is a filter: '#' at byte 17", "mqtt",
    "command/Platform/#", "subject.forbidden-char", 17)
bad("command.mqtt-dotted", "1.7", "the dotted address is not a topic: '.' at byte 7", "mqtt",
    "command.Platform.Plugin", "subject.forbidden-char", 7)
bad("command.mqtt-empty-level", "1.7", "an empty level in a command topic, at byte 8", "mqtt",
    "command//Plugin", "subject.empty-token", 8)
bad("command.mqtt-trailing-slash", "1.7", "command/ with no extension point: empty token at 8", "mqtt",
    "command/", "subject.empty-token", 8)
enc("command.encode-space", "1.7", "an extension point name with a space has no address", "nats",
    "command", "Core Plugin", err("subject.forbidden-char", 4, "name"))
enc("command.encode-too-long", "1.7", "a 246-byte extension point: limit.length at 245 of the name",
    "mqtt", "command", P246, err("limit.length", 245, "name"))
enc("command.encode-empty", "1.7", "an empty extension point name", "redis", "command", "",
    err("subject.empty-token", 0, "name"))

# §1.8 the order of the rules across kinds.
ok("order.redis-text-before-record", "1.8", "heartbeat.service.x on Redis is a text channel, not a record one",
   "redis", "heartbeat.service.x", "text", "service.x")
ok("order.nats-heartbeat-named-command", "1.8", "a process may be called command", "nats",
   "heartbeat.command", "text", "command")
ok("order.mqtt-command-named-heartbeat", "1.8", "an extension point may be called heartbeat", "mqtt",
   "command/heartbeat", "command", "heartbeat")
bad("order.mqtt-dot-before-prefix", "1.8", "on MQTT a '.' is refused before the prefix is read", "mqtt",
    "orders.created", "subject.forbidden-char", 6)
bad("order.mqtt-utf8-before-dot", "1.8", "on MQTT UTF-8 comes first, then the '.'", "mqtt", None,
    "encoding.utf8", 0, hex_bytes=b"\x80heartbeat.a")
bad("order.nats-length-before-grammar", "1.8", "length before grammar: a long subject with a '*'", "nats",
    "heartbeat.*" + "a" * 250, "limit.length", 255)

# §7 the operations' own arguments.
enc("args.broker-nats", "7", "the broker names are lower case: nats", "nats", "text", "a", "heartbeat.a")
enc("args.broker-upper-case", "7", "NATS is not a broker name", "NATS", "text", "a",
    err("broker.unknown", None, "broker"))
enc("args.broker-sqs", "7", "SQS has a queue URL, not an address of §1.8", "sqs", "command",
    "Platform.Plugin", err("broker.unknown", None, "broker"))
enc("args.kind-unknown", "7", "a kind that no broker carries", "redis", "beat", "a",
    err("kind.unknown", None, "kind"))
enc("args.record-on-mqtt", "7", "records travel on Redis only", "mqtt", "record", "svc",
    err("kind.unknown", None, "kind"), convention="heartbeat")
enc("args.kind-before-name", "7", "the kind is checked before the name", "amqp", "presence", "a b",
    err("kind.unknown", None, "kind"))
enc("args.convention-before-name", "7", "the convention is checked before the name", "redis", "record",
    "a.b", err("convention.unknown", None, "convention"), convention="Heartbeat")
bad("args.decode-broker-unknown", "7", "decoding on an unknown broker", "kafka", "heartbeat.a",
    "broker.unknown", None, path="broker")

suite = {
    "suite": "heartwire-transport",
    "version": "1.0.0",
    "spec": "spec/transports.md",
    "spec_version": "0.4.0",
    "format": "transport",
    "cases": cases,
}


def dump(value):
    return json.dumps(value, ensure_ascii=False)


lines = ["{"]
for key in ("suite", "version", "spec", "spec_version", "format"):
    lines.append(f"  {dump(key)}: {dump(suite[key])},")
lines.append('  "cases": [')
for i, c in enumerate(cases):
    lines.append("    {")
    lines.append(f'      "id": {dump(c["id"])},')
    lines.append(f'      "description": {dump(c["description"])},')
    lines.append(f'      "section": {dump(c["section"])},')
    lines.append(f'      "operation": {dump(c["operation"])},')
    lines.append(f'      "input": {dump(c["input"])},')
    expect = c["expect"]
    if "decoded" in expect:
        decoded = json.dumps(expect["decoded"], ensure_ascii=False, separators=(",", ":"))
        rest = {k: v for k, v in expect.items() if k != "decoded"}
        text = '{"decoded": ' + decoded + ", " + dump(rest)[1:]
    else:
        text = dump(expect)
    lines.append(f'      "expect": {text}')
    lines.append("    }" + ("," if i + 1 < len(cases) else ""))
lines.append("  ]")
lines.append("}")
text = "\n".join(lines) + "\n"
assert json.loads(text) == suite
OUT.write_text(text, encoding="utf-8")
print(f"{OUT}: {len(cases)} cases")
