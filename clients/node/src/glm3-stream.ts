// glm3-stream (Node): streams signals from a JSON Lines file to ScoringService.ScoreStream and prints one
// line per result, then a summary: an example of a TypeScript client built on the generated code in
// generated/ts (protobuf-es; `npm run build` copies it to gen/ first, so that it resolves
// @bufbuild/protobuf from this package's node_modules) with @connectrpc/connect-node's gRPC transport (gRPC over HTTP/2).
//
// Usage: node dist/src/glm3-stream.js [--target 127.0.0.1:50051] [--frame 100] [--timeout 5m] [FILE|-]
// (--timeout is a duration as Go writes them: 500ms, 30s, 5m, 1h30m).
//
// Same input, output and exit status as the Go client (clients/go):
//   <correlation id> <VERDICT> <overall score>             for a scored signal
//   <correlation id> ERROR <CODE> <REASON> <field>: <why>   for a failed one (every field violation)
//   summary: sent=N scored=N failed=N bad_lines=N GO=N ... elapsed=Ns
// Exit status: 0 when every signal was scored, 1 when any line or signal failed, 2 for bad usage, 3 when
// the call failed.

import { constants, createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { Verdict } from "../gen/glm3/scoring/v1/candidate_pb.js";
import {
  type ScoreResult,
  type ScoreStreamRequest,
  ScoreStreamRequestSchema,
  ScoringService,
  type StreamSignal,
  StreamSignalSchema,
} from "../gen/glm3/scoring/v1/scoring_service_pb.js";
import { SignalSchema } from "../gen/glm3/scoring/v1/signal_pb.js";
import type { Status } from "../gen/google/rpc/status_pb.js";

// gRPC status code names by number (google.rpc.Code), as every gRPC tool prints them.
const CODE_NAMES = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
  "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
];

interface Options {
  target: string;
  frame: number;
  timeoutMs: number;
  input: string;
}

interface Tally {
  sent: number;
  badLines: number;
  scored: number;
  failed: number;
  verdicts: Map<string, number>;
}

class UsageError extends Error {}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// Parses a duration the way the Go client's flag does (`90s`, `1m30s`), so both clients take the same flags.
function parseDurationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new UsageError(`--timeout must be a duration such as 30s or 5m, got ${text}`);
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * (DURATION_UNITS_MS[unit!] ?? 0), 0);
}

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      target: { type: "string", default: "127.0.0.1:50051" },
      frame: { type: "string", default: "100" },
      timeout: { type: "string", default: "5m" },
    },
  });
  const frame = Number(values.frame);
  const timeoutMs = parseDurationMs(values.timeout);
  if (positionals.length > 1) throw new UsageError("at most one input file");
  if (!Number.isInteger(frame) || frame < 1 || frame > 1000) {
    throw new UsageError(`--frame must be 1 to 1000, got ${values.frame}`);
  }
  if (!(timeoutMs > 0)) throw new UsageError("--timeout must be positive");
  return { target: values.target, frame, timeoutMs, input: positionals[0] ?? "-" };
}

// Reads signals line by line and yields frames of `frame` signals: never more than one frame in memory.
// The transport pulls the next frame only when the previous one was written, so the server's window
// slows this loop down through HTTP/2 flow control.
async function* frames(input: string, frame: number, tally: Tally): AsyncGenerator<ScoreStreamRequest> {
  const stream = input === "-" ? process.stdin : createReadStream(input);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let items: StreamSignal[] = [];
  let line = 0;
  const batch = (): ScoreStreamRequest =>
    create(ScoreStreamRequestSchema, { frame: { case: "batch", value: { items } } });
  for await (const raw of lines) {
    line += 1;
    const text = raw.trim();
    if (text === "") continue;
    let signal;
    try {
      // Unknown fields are errors, as in proto3 JSON: a misspelt field name must not pass unnoticed.
      signal = fromJson(SignalSchema, JSON.parse(text) as JsonValue);
    } catch (error) {
      process.stderr.write(`glm3-stream: line ${line} skipped: not a signal: ${(error as Error).message}\n`);
      tally.badLines += 1;
      continue;
    }
    const correlationId = signal.id !== "" ? signal.id : `line-${line}`;
    items.push(create(StreamSignalSchema, { correlationId, signal }));
    if (items.length === frame) {
      yield batch();
      tally.sent += items.length;
      items = [];
    }
  }
  if (items.length > 0) {
    yield batch();
    tally.sent += items.length;
  }
}

// google.rpc.ErrorInfo and google.rpc.BadRequest are read straight from the wire: the protos vendor only
// google/rpc/status.proto, and these two messages need two string fields each.
function decodeErrorInfoReason(bytes: Uint8Array): string {
  const reader = new BinaryReader(bytes);
  let reason = "";
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) reason = reader.string();
    else reader.skip(wireType);
  }
  return reason;
}

function decodeFieldViolations(bytes: Uint8Array): string[] {
  const reader = new BinaryReader(bytes);
  const violations: string[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field !== 1 || wireType !== WireType.LengthDelimited) {
      reader.skip(wireType);
      continue;
    }
    const violation = new BinaryReader(reader.bytes());
    let path = "";
    let description = "";
    while (violation.pos < violation.len) {
      const [no, type] = violation.tag();
      if (no === 1 && type === WireType.LengthDelimited) path = violation.string();
      else if (no === 2 && type === WireType.LengthDelimited) description = violation.string();
      else violation.skip(type);
    }
    violations.push(`${path}: ${description}`);
  }
  return violations;
}

// Code name, ErrorInfo reason, and every BadRequest field violation (or the message when there are none).
function describe(status: Status | undefined): string {
  if (status === undefined) return "UNKNOWN (result with neither candidate nor error)";
  const parts = [CODE_NAMES[status.code] ?? `CODE_${status.code}`];
  let violations: string[] = [];
  for (const detail of status.details) {
    if (detail.typeUrl.endsWith("/google.rpc.ErrorInfo")) parts.push(decodeErrorInfoReason(detail.value));
    else if (detail.typeUrl.endsWith("/google.rpc.BadRequest")) violations = decodeFieldViolations(detail.value);
  }
  if (violations.length > 0) parts.push(violations.join("; "));
  else if (status.message !== "") parts.push(status.message);
  return parts.join(" ");
}

function report(result: ScoreResult, tally: Tally): string {
  if (result.outcome.case === "candidate") {
    const candidate = result.outcome.value;
    const verdict = (Verdict[candidate.verdict] ?? String(candidate.verdict)).replace(/^VERDICT_/, "");
    tally.scored += 1;
    tally.verdicts.set(verdict, (tally.verdicts.get(verdict) ?? 0) + 1);
    return `${result.correlationId} ${verdict} ${candidate.overallScore.toFixed(2)}\n`;
  }
  tally.failed += 1;
  const status = result.outcome.case === "error" ? result.outcome.value : undefined;
  return `${result.correlationId} ERROR ${describe(status)}\n`;
}

async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`glm3-stream: ${(error as Error).message}\n`);
    process.stderr.write("usage: glm3-stream [--target HOST:PORT] [--frame N] [--timeout DURATION] [FILE|-]\n");
    return 2;
  }
  if (options.input !== "-") {
    try {
      await access(options.input, constants.R_OK);
    } catch (error) {
      process.stderr.write(`glm3-stream: ${(error as Error).message}\n`);
      return 2;
    }
  }
  const transport = createGrpcTransport({ baseUrl: `http://${options.target}` });
  const client = createClient(ScoringService, transport);
  const tally: Tally = { sent: 0, badLines: 0, scored: 0, failed: 0, verdicts: new Map() };
  const started = performance.now();
  let failure: unknown;
  try {
    const responses = client.scoreStream(frames(options.input, options.frame, tally), {
      timeoutMs: options.timeoutMs,
    });
    for await (const response of responses) {
      if (response.frame.case !== "results") continue;
      let out = "";
      for (const result of response.frame.value.results) out += report(result, tally);
      process.stdout.write(out);
    }
  } catch (error) {
    failure = error;
  }
  const verdicts = [...tally.verdicts.entries()].sort(([a], [b]) => a.localeCompare(b));
  const elapsed = ((performance.now() - started) / 1000).toFixed(2);
  process.stdout.write(
    `summary: sent=${tally.sent} scored=${tally.scored} failed=${tally.failed} bad_lines=${tally.badLines} ` +
      `${verdicts.map(([v, n]) => `${v}=${n}`).join(" ")} elapsed=${elapsed}s\n`,
  );
  if (failure !== undefined) {
    const message = failure instanceof ConnectError
      ? `${CODE_NAMES[failure.code] ?? failure.code} ${failure.rawMessage}`
      : String(failure);
    process.stderr.write(`glm3-stream: stream failed: ${message}\n`);
    return 3;
  }
  return tally.failed > 0 || tally.badLines > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
