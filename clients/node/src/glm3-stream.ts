// glm3-stream (Node): streams signals from a JSON Lines file to ScoringService.ScoreStream and prints one
// line per result, then a summary: an example of a TypeScript client built on the generated code in
// generated/ts (protobuf-es; `npm run build` copies it to gen/ first, so that it resolves
// @bufbuild/protobuf from this package's node_modules) with @connectrpc/connect-node's gRPC transport (gRPC over HTTP/2).
//
// Usage: node dist/src/glm3-stream.js [--target 127.0.0.1:50051] [--frame 100] [--timeout 5m]
//          [--tls] [--ca FILE] [--cert FILE --key FILE] [--server-name NAME] [--token TOKEN] [FILE|-]
// (--timeout is a duration as Go writes them: 500ms, 30s, 5m, 1h30m).
//
// Without --tls, --ca, --cert, --key or --server-name the call is plaintext gRPC (http://); with any of them
// it is TLS (https://). The same security flags as the Go client:
//   --tls               TLS, the server's certificate verified against Node's root certificates (Node's
//                       bundled Mozilla store; NODE_OPTIONS=--use-openssl-ca for the system's)
//   --ca FILE           TLS, the server's certificate verified against the PEM root certificates in FILE
//                       only (instead of the default ones)
//   --cert FILE         mutual TLS: the PEM client certificate (chain) presented to the server; needs --key
//   --key FILE          the PEM private key of --cert; needs --cert
//   --server-name NAME  TLS: the name the server's certificate must hold (and SNI), instead of --target's host
//   --token TOKEN       bearer token sent as `authorization: Bearer TOKEN` metadata on the call; without
//                       --token, the environment variable GLM3_TOKEN (unset or empty: no token). The token
//                       is never printed. Without TLS it travels in clear text: give --tls or --ca with it
//                       unless the server is on this machine
// --ca, --cert, --key and --server-name imply TLS. A call the server refuses (UNAUTHENTICATED, say, with
// its ErrorInfo reason TOKEN_MISSING or TOKEN_INVALID, or PERMISSION_DENIED ROLE_REQUIRED) is a failed call.
//
// Same input, output and exit status as the Go client (clients/go):
//   <correlation id> <VERDICT> <overall score>             for a scored signal
//   <correlation id> ERROR <CODE> <REASON> <field>: <why>   for a failed one (every field violation)
//   summary: sent=N scored=N failed=N bad_lines=N GO=N ... elapsed=Ns
// Exit status: 0 when every signal was scored, 1 when any line or signal failed, 2 for bad usage (including
// an unreadable --ca, --cert or --key file, and a token that is not one line of printable ASCII), 3 when
// the call failed; a failed call prints `stream failed: <CODE> <REASON> <message>` on stderr.

import { constants, createReadStream } from "node:fs";
import { access, readFile } from "node:fs/promises";
import type { SecureClientSessionOptions } from "node:http2";
import { createInterface } from "node:readline";
import { createSecureContext } from "node:tls";
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

// The environment variable that holds the bearer token when --token is not given.
const TOKEN_ENV = "GLM3_TOKEN";

const USAGE =
  "usage: glm3-stream [--target HOST:PORT] [--frame N] [--timeout DURATION] [--tls] [--ca FILE] " +
  "[--cert FILE --key FILE] [--server-name NAME] [--token TOKEN] [FILE|-]";

interface Options {
  target: string;
  frame: number;
  timeoutMs: number;
  input: string;
  tls: boolean; // --tls, or implied by --ca, --cert, --key or --server-name
  ca?: string; // PEM roots file; absent: Node's default ones
  cert?: string; // client certificate for mutual TLS, with key
  key?: string;
  serverName?: string;
  token: string; // bearer token; empty: none
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
      tls: { type: "boolean", default: false },
      ca: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      "server-name": { type: "string" },
      token: { type: "string" },
    },
  });
  const frame = Number(values.frame);
  const timeoutMs = parseDurationMs(values.timeout);
  if (positionals.length > 1) throw new UsageError("at most one input file");
  if (!Number.isInteger(frame) || frame < 1 || frame > 1000) {
    throw new UsageError(`--frame must be 1 to 1000, got ${values.frame}`);
  }
  if (!(timeoutMs > 0)) throw new UsageError("--timeout must be positive");
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("--cert and --key go together: give both or neither");
  }
  const token = values.token ?? process.env[TOKEN_ENV] ?? "";
  checkToken(token, values.token !== undefined ? "--token" : TOKEN_ENV);
  const { ca, cert, key } = values;
  const serverName = values["server-name"];
  const tls = values.tls || [ca, cert, key, serverName].some((value) => value !== undefined);
  const input = positionals[0] ?? "-";
  return { target: values.target, frame, timeoutMs, input, tls, ca, cert, key, serverName, token };
}

// Refuses a token that cannot be one metadata value: a line break (a token file read with its newline, say)
// or any other character outside printable ASCII. The message never shows the token.
function checkToken(token: string, source: string): void {
  if (/[\r\n]/.test(token)) throw new UsageError(`${source} must be one line: it contains a line break`);
  if (/[^\x20-\x7e]/.test(token)) throw new UsageError(`${source} must be printable ASCII`);
}

// The TLS options of the HTTP/2 session, from the PEM files. A file that is missing, unreadable or not PEM
// of the right kind is a usage error, as in the Go client.
async function tlsOptions(options: Options): Promise<SecureClientSessionOptions> {
  const read = async (flag: string, path: string | undefined): Promise<Buffer | undefined> => {
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (error) {
      throw new UsageError(`--${flag}: ${(error as Error).message}`);
    }
  };
  const secure: SecureClientSessionOptions = {};
  const ca = await read("ca", options.ca);
  if (ca !== undefined) secure.ca = ca;
  const cert = await read("cert", options.cert);
  if (cert !== undefined) secure.cert = cert;
  const key = await read("key", options.key);
  if (key !== undefined) secure.key = key;
  if (options.serverName !== undefined) secure.servername = options.serverName;
  if (ca !== undefined && !ca.toString("latin1").includes("-----BEGIN CERTIFICATE-----")) {
    throw new UsageError(`--ca: no PEM certificate in ${options.ca}`);
  }
  try {
    // What the session will do: refuses a bad certificate or key, or a certificate and key that do not match.
    createSecureContext(secure);
  } catch (error) {
    throw new UsageError(`${secure.cert !== undefined ? "--cert/--key" : "--ca"}: ${(error as Error).message}`);
  }
  return secure;
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

// A google.rpc.Status detail: the message's full name (google.rpc.ErrorInfo) and its bytes.
interface Detail {
  type: string;
  value: Uint8Array;
}

// Code name, ErrorInfo reason, and every BadRequest field violation (or the message when there are none).
function describeStatus(code: number, message: string, details: Detail[]): string {
  const parts = [CODE_NAMES[code] ?? `CODE_${code}`];
  let violations: string[] = [];
  for (const detail of details) {
    if (detail.type === "google.rpc.ErrorInfo") parts.push(decodeErrorInfoReason(detail.value));
    else if (detail.type === "google.rpc.BadRequest") violations = decodeFieldViolations(detail.value);
  }
  if (violations.length > 0) parts.push(violations.join("; "));
  else if (message !== "") parts.push(message);
  return parts.join(" ");
}

// A per-item error: its details are google.protobuf.Any, named by type URL.
function describe(status: Status | undefined): string {
  if (status === undefined) return "UNKNOWN (result with neither candidate nor error)";
  const details = status.details.map((any) => ({
    type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1),
    value: any.value,
  }));
  return describeStatus(status.code, status.message, details);
}

// A failed call, described as a per-item error is: the transport decodes grpc-status-details-bin into
// the error's details (type names and bytes), so the ErrorInfo reason shows (UNAUTHENTICATED TOKEN_MISSING).
function describeFailure(failure: unknown): string {
  if (!(failure instanceof ConnectError)) return String(failure);
  // Incoming details are {type, value}; outgoing ones ({desc, value}) exist only on a server.
  const details = failure.details.flatMap((detail) =>
    "type" in detail ? [{ type: detail.type, value: detail.value }] : []);
  return describeStatus(failure.code, failure.rawMessage, details);
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
    process.stderr.write(`${USAGE}\n`);
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
  let nodeOptions: SecureClientSessionOptions | undefined;
  if (options.tls) {
    try {
      nodeOptions = await tlsOptions(options);
    } catch (error) {
      process.stderr.write(`glm3-stream: ${(error as Error).message}\n`);
      return 2;
    }
  }
  const transport = createGrpcTransport({
    baseUrl: `${options.tls ? "https" : "http"}://${options.target}`,
    ...(nodeOptions !== undefined ? { nodeOptions } : {}),
  });
  const client = createClient(ScoringService, transport);
  const headers: Record<string, string> = options.token !== "" ? { authorization: `Bearer ${options.token}` } : {};
  const tally: Tally = { sent: 0, badLines: 0, scored: 0, failed: 0, verdicts: new Map() };
  const started = performance.now();
  let failure: unknown;
  try {
    const responses = client.scoreStream(frames(options.input, options.frame, tally), {
      timeoutMs: options.timeoutMs,
      headers,
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
    process.stderr.write(`glm3-stream: stream failed: ${describeFailure(failure)}\n`);
    return 3;
  }
  return tally.failed > 0 || tally.badLines > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
