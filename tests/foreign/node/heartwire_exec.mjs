#!/usr/bin/env node
// A small foreign implementation of the beatit text convention, for the exec mode of
// `heartwire verify` (spec/harness.md): one process per case, the case's input as a JSON
// object on stdin, the operation and format as the last two arguments.
//
//   heartwire verify --mode exec --format text -- node heartwire_exec.mjs
//
// It decodes (subject and payload, or a line) and encodes the JSON form, with exact
// numbers held as BigInt nanoseconds. Exit 0 with {"decoded":..,"encoded":..} on stdout,
// exit 1 with {"error":..,"offset":..} to reject, exit 3 for anything but text.

import { readFileSync } from "node:fs";

const [operation, format] = process.argv.slice(-2);
const TOKEN = /^[A-Za-z0-9_-]$/;
const NANOS = 1000000000n;

class Rejected extends Error {
  constructor(error, offset) {
    super(error);
    this.error = error;
    this.offset = offset;
  }
}

function bytesOf(input, name) {
  if (name in input) return Buffer.from(input[name], "utf8");
  if (name + "_hex" in input) return Buffer.from(input[name + "_hex"], "hex");
  return null;
}

function utf8(bytes, base) {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Find the first byte that does not start a valid sequence, by decoding prefixes.
    for (let i = 0; i < bytes.length; i++) {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, i + 1));
      } catch {
        let start = i;
        while (start > 0 && (bytes[start] & 0xc0) === 0x80) start--;
        throw new Rejected("encoding.utf8", base + start);
      }
    }
    throw new Rejected("encoding.utf8", base + bytes.length);
  }
}

function processOf(subject, base) {
  const prefix = "heartbeat.";
  for (let i = 0; i < prefix.length; i++) {
    if (i >= subject.length || subject[i] !== prefix[i]) throw new Rejected("subject.prefix", base + i);
  }
  let at = prefix.length;
  for (;;) {
    const start = at;
    while (at < subject.length && TOKEN.test(subject[at])) at++;
    if (at < subject.length && subject[at] !== ".") {
      throw new Rejected("subject.forbidden-char", base + Buffer.byteLength(subject.slice(0, at)));
    }
    if (at === start) throw new Rejected("subject.empty-token", base + start);
    if (at === subject.length) return subject.slice(prefix.length);
    at++;
  }
}

// The number at `at` in `p`: [nanoseconds as BigInt, end].
function number(p, at, base) {
  const m = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?/.exec(p.slice(at));
  if (!m) {
    throw new Rejected("number.syntax", base + at);
  }
  const end = at + m[0].length;
  if (m[1] === "0" && /^[0-9]/.test(p.slice(at + 1))) throw new Rejected("number.leading-zero", base + at + 1);
  if (p[end] === "." || /^[eE]/.test(p.slice(end))) {
    throw new Rejected("number.syntax", base + end + 1);
  }
  if (end !== p.length) throw new Rejected("payload.trailing-input", base + end);
  // value = digits × 10^(exp - fraction length); nanoseconds rounded half to even.
  const digits = BigInt(m[1] + (m[2] || ""));
  const exp = BigInt(m[3] || "0") - BigInt((m[2] || "").length) + 9n;
  let nanos;
  if (digits === 0n) nanos = 0n;
  else if (exp >= 0n) nanos = exp > 30n ? NANOS * NANOS * NANOS : digits * 10n ** exp;
  else if (-exp > BigInt(m[1].length + (m[2] || "").length) + 1n) nanos = 0n;
  else {
    const div = 10n ** -exp;
    nanos = digits / div;
    const rest = digits % div;
    if (rest * 2n > div || (rest * 2n === div && nanos % 2n === 1n)) nanos += 1n;
  }
  if (nanos === 0n) throw new Rejected("number.zero", base + at);
  if (nanos > NANOS * NANOS) throw new Rejected("number.range", base + at);
  return nanos;
}

function signalOf(p, base) {
  const word = /^[A-Za-z]*/.exec(p)[0];
  if (word === "stop") {
    if (p.length > 4) throw new Rejected("payload.unexpected-value", base + 4);
    return ["stop", null];
  }
  if (!["start", "beat", "degraded"].includes(word)) throw new Rejected("payload.unknown-signal", base);
  if (p[word.length] !== "/") throw new Rejected("payload.missing-value", base + word.length);
  return [word, number(p, word.length + 1, base)];
}

function canonical(nanos) {
  const s = nanos / NANOS;
  const n = nanos % NANOS;
  return n === 0n ? `${s}` : `${s}.${n.toString().padStart(9, "0").replace(/0+$/, "")}`;
}

function decode(input) {
  const line = bytesOf(input, "line");
  if (line) {
    if (line.length > 320) throw new Rejected("limit.length", 320);
    const text = utf8(line, 0);
    const space = text.indexOf(" ");
    const subject = space < 0 ? text : text.slice(0, space);
    if (Buffer.byteLength(subject) > 255) throw new Rejected("limit.length", 255);
    const process = processOf(subject, 0);
    if (space < 0) throw new Rejected("line.separator", line.length);
    const payload = text.slice(space + 1);
    if (payload.length > 64) throw new Rejected("limit.length", space + 1 + 64);
    return [process, ...signalOf(payload, space + 1)];
  }
  const subject = bytesOf(input, "subject");
  const payload = bytesOf(input, "payload");
  if (subject.length > 255) throw new Rejected("limit.length", 255);
  const process = processOf(utf8(subject, 0), 0);
  if (payload.length > 64) throw new Rejected("limit.length", 64);
  return [process, ...signalOf(utf8(payload, 0), 0)];
}

function fromJson(text) {
  if (Buffer.byteLength(text) > 1024) throw new Rejected("limit.length", 1024);
  let obj;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new Rejected("json.shape");
  }
  const keys = obj && typeof obj === "object" && !Array.isArray(obj) ? Object.keys(obj) : null;
  const allowed = ["format", "process", "signal", "period", "warmup"];
  if (!keys || !["format", "process", "signal"].every((k) => typeof obj[k] === "string") ||
      !keys.every((k) => allowed.includes(k))) {
    throw new Rejected("json.shape");
  }
  if (obj.format !== "text") throw new Rejected("json.format");
  // An encoder refuses a name whose subject every decoder rejects (spec/text.md §7).
  if (Buffer.byteLength(obj.process) > 245) throw new Rejected("limit.length");
  processOf("heartbeat." + obj.process, 0);
  const wanted = { start: "warmup", beat: "period", degraded: "period", stop: null }[obj.signal];
  if (wanted === undefined) throw new Rejected("payload.unknown-signal");
  const given = keys.filter((k) => k === "period" || k === "warmup");
  if (given.length !== (wanted ? 1 : 0) || (wanted && given[0] !== wanted)) throw new Rejected("json.value");
  if (!wanted) return [obj.process, "stop", null];
  // JSON.parse has made the number a double; take its text back from the source.
  const m = new RegExp(`"${wanted}"\\s*:\\s*(-?[0-9][^,}\\s]*|"[^"]*")`).exec(text);
  const raw = m ? m[1] : "";
  return [obj.process, obj.signal, number(raw, 0, 0)];
}

function lineOf(process, signal, nanos) {
  return `heartbeat.${process} ${nanos === null ? signal : `${signal}/${canonical(nanos)}`}`;
}

function decodedOf(process, signal, nanos) {
  let text = `{"format":"text","process":${JSON.stringify(process)},"signal":"${signal}"`;
  if (nanos !== null) text += `,"${signal === "start" ? "warmup" : "period"}":${canonical(nanos)}`;
  return text + "}";
}

if (format !== "text" || !["decode", "encode"].includes(operation)) process.exit(3);
const input = JSON.parse(readFileSync(0, "utf8"));
try {
  if (operation === "decode") {
    const m = decode(input);
    process.stdout.write(`{"decoded":${decodedOf(...m)},"encoded":${JSON.stringify(lineOf(...m))}}\n`);
  } else {
    const m = fromJson(input.json);
    process.stdout.write(`{"encoded":${JSON.stringify(lineOf(...m))}}\n`);
  }
} catch (e) {
  if (!(e instanceof Rejected)) throw e;
  const rejection = { error: e.error };
  if (e.offset !== undefined && operation === "decode") rejection.offset = e.offset;
  process.stdout.write(JSON.stringify(rejection) + "\n");
  process.exitCode = 1;
}
