// A small typed client for heartwire's formats, on the types generated from
// spec/schema/ (src/generated/, by generate.mjs). It builds each format the way a
// publisher in TypeScript would, and parses documents back into the same types.
//
// `node dist/client.js` prints one document of each kind per line (the beatit line form
// for text messages): tests/clients.rs decodes every line with heartwire and validates
// it against its schema.
import { randomUUID } from "node:crypto";

import type { ReventlessCommandEnvelope as Envelope, Command } from "./generated/command.js";
import type { LivenessRecord } from "./generated/record.js";
import type { Rate, ReventlessSchedule as Schedule } from "./generated/schedule.js";
import type { BeatitMessageCanonicalJSONForm as TextMessage } from "./generated/text.js";

/** A beatit signal of a process, in its canonical JSON form. */
export function signal(
  process: string,
  kind: "start" | "beat" | "degraded" | "stop",
  seconds?: number,
): TextMessage {
  switch (kind) {
    case "start":
      return { format: "text", process, signal: "start", warmup: positive(seconds) };
    case "beat":
      return { format: "text", process, signal: "beat", period: positive(seconds) };
    case "degraded":
      return { format: "text", process, signal: "degraded", period: positive(seconds) };
    case "stop":
      return { format: "text", process, signal: "stop" };
  }
}

function positive(seconds: number | undefined): number {
  if (seconds === undefined || !(seconds > 0) || seconds > 1e9) {
    throw new RangeError(`a period is more than 0 and at most 1e9 seconds, not ${seconds}`);
  }
  return seconds;
}

/** The beatit line form, `heartbeat.<process> <payload>` (spec/text.md §10). */
export function lineForm(message: TextMessage): string {
  const subject = `heartbeat.${message.process}`;
  switch (message.signal) {
    case "start":
      return `${subject} start/${decimal(message.warmup)}`;
    case "beat":
    case "degraded":
      return `${subject} ${message.signal}/${decimal(message.period)}`;
    case "stop":
      return `${subject} stop`;
  }
}

/** A number as plain decimal digits: JavaScript writes 1e-7 for 0.0000001. */
function decimal(n: number): string {
  const text = String(n);
  return /e/i.test(text) ? n.toFixed(9).replace(/\.?0+$/, "") : text;
}

/** A liveness record as the seed's publisher makes one, with this process's figures. */
export function record(serviceName: string, instanceId: string, count: number): LivenessRecord {
  return {
    service_name: serviceName,
    instance_id: instanceId,
    timestamp: new Date().toISOString(),
    uptime_seconds: process.uptime(),
    heartbeat_count: count,
    memory_usage_mb: process.memoryUsage().rss / (1024 * 1024),
    cpu_usage_percent: null,
    runtime: `node ${process.version}`,
  };
}

/** The three encodings of a command (spec/command.md §6.1). */
export type Dialect = "sury" | "decco" | "seed";

/** A Reventless `Heartbeat(minutes)` envelope for a plugin, in a dialect. */
export function heartbeat(pluginId: string, minutes: number, dialect: Dialect): Envelope {
  const id = randomUUID();
  const meta = {
    service: "Platform.Plugin",
    time: new Date().toISOString(),
    ip: "",
    user: "Heartbeat",
    msgId: id,
    correlationId: id,
  };
  const command: Command =
    dialect === "sury"
      ? { TAG: "Heartbeat", _0: minutes }
      : dialect === "decco"
        ? ["Heartbeat", minutes]
        : `Heartbeat(${minutes})`;
  return dialect === "seed"
    ? { id: pluginId, meta, commandJson: command }
    : { id: pluginId, meta, command };
}

/** A schedule that fires every day at a UTC time, with its rate in one of three forms. */
export function daily(name: string, hour: number, minute: number, form: "string" | "sury" | "decco", payload: string): Schedule {
  const rate: Rate =
    form === "string"
      ? `Daily(${hour},${minute})`
      : form === "sury"
        ? { TAG: "Daily", _0: hour, _1: minute }
        : ["Daily", hour, minute];
  return { name, rate, payload };
}

/** Why a document was refused by a parse function. */
export class ShapeError extends Error {}

function object(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ShapeError("not a JSON object");
  }
  return value as Record<string, unknown>;
}

function strings(value: Record<string, unknown>, keys: string[]): void {
  for (const key of keys) {
    if (typeof value[key] !== "string") throw new ShapeError(`${key} is not a string`);
  }
}

/** Parses a liveness record's shape (the full rules are the schema's and heartwire's). */
export function parseRecord(text: string): LivenessRecord {
  const value = object(text);
  strings(value, ["service_name", "instance_id", "timestamp"]);
  return value as LivenessRecord;
}

/** Parses an envelope's shape: `id`, `meta` and one of `command` / `commandJson`. */
export function parseEnvelope(text: string): Envelope {
  const value = object(text);
  strings(value, ["id"]);
  if (typeof value.meta !== "object" || value.meta === null) throw new ShapeError("meta is not an object");
  if (("command" in value) === ("commandJson" in value)) {
    throw new ShapeError("exactly one of command and commandJson");
  }
  return value as Envelope;
}

/** Parses a schedule's shape. */
export function parseSchedule(text: string): Schedule {
  const value = object(text);
  strings(value, ["name", "payload"]);
  return value as Schedule;
}

/** Parses the canonical JSON form of a beatit message. */
export function parseText(text: string): TextMessage {
  const value = object(text);
  if (value.format !== "text") throw new ShapeError("format is not text");
  strings(value, ["process", "signal"]);
  return value as unknown as TextMessage;
}

function main(): void {
  const lines: string[] = [];
  const messages = [
    signal("billing.worker-1", "start", 60),
    signal("billing.worker-1", "beat", 5),
    signal("billing.worker-1", "degraded", 0.5),
    signal("billing.worker-1", "beat", 1e-7),
    signal("billing.worker-1", "stop"),
  ];
  for (const message of messages) {
    lines.push(lineForm(message));
    lines.push(JSON.stringify(parseText(JSON.stringify(message))));
  }
  lines.push(JSON.stringify(parseRecord(JSON.stringify(record("ts_publisher", randomUUID(), 1)))));
  for (const dialect of ["sury", "decco", "seed"] as const) {
    lines.push(JSON.stringify(parseEnvelope(JSON.stringify(heartbeat("orders@1.2.0", 10, dialect)))));
  }
  for (const form of ["string", "sury", "decco"] as const) {
    lines.push(JSON.stringify(parseSchedule(JSON.stringify(daily("daily-report", 9, 30, form, "{}")))));
  }
  process.stdout.write(lines.join("\n") + "\n");
}

main();
