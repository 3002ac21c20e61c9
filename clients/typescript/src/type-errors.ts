// Documents the generated types refuse: `tsc` fails if any line marked as an expected
// error compiles, so the types keep saying what the schemas say.
import type { ReventlessCommandEnvelope as Envelope } from "./generated/command.js";
import type { LivenessRecord } from "./generated/record.js";
import type { ReventlessSchedule as Schedule } from "./generated/schedule.js";
import type { BeatitMessageCanonicalJSONForm as TextMessage } from "./generated/text.js";

const meta = { service: "Platform.Plugin", time: "2024-01-26T10:30:00.000Z", msgId: "m", correlationId: "c" };

export const refused: unknown[] = [
  // @ts-expect-error a record needs its service_name
  { instance_id: "a1b2c3d4-e5f6-7890-abcd-ef1234567890", timestamp: "2025-01-16T08:30:00Z" } satisfies LivenessRecord,
  // @ts-expect-error a beat carries its period
  { format: "text", process: "p", signal: "beat" } satisfies TextMessage,
  // @ts-expect-error stop carries no number
  { format: "text", process: "p", signal: "stop", period: 5 } satisfies TextMessage,
  // @ts-expect-error a sury Daily rate has both the hour and the minute
  { name: "n", rate: { TAG: "Daily", _0: 9 }, payload: "" } satisfies Schedule,
  // @ts-expect-error a decco Daily rate has both the hour and the minute
  { name: "n", rate: ["Daily", 9], payload: "" } satisfies Schedule,
  // @ts-expect-error an envelope needs its meta
  { id: "p", command: "DisconnectPlugin" } satisfies Envelope,
  // @ts-expect-error the payload of a schedule is a string
  { name: "n", rate: "Hours(1)", payload: { a: 1 } } satisfies Schedule,
];

export const accepted: unknown[] = [
  { id: "p", meta, command: ["Heartbeat", 10] } satisfies Envelope,
  { name: "n", rate: ["Single", 2024, 12, 25, 14, 30], payload: "" } satisfies Schedule,
];
