/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into the
 * JSON object the same request would have carried as `application/json`, so the rest of the API
 * server sees one shape whatever the client sent. kubectl's typed commands (`create namespace`,
 * `create configmap`, `create deployment`, …) always send protobuf.
 *
 * The body is the magic `k8s\0` followed by a runtime.Unknown envelope whose TypeMeta names the
 * kind and whose `raw` bytes are that kind's own message. Messages are decoded field by field
 * from the generated table in schema.ts; the few types whose JSON is not "an object of their
 * fields" (times, quantities, int-or-string, raw JSON) are converted by hand below.
 */
import { Buffer } from 'node:buffer';
import { badRequest } from '../../api/errors.js';
import { messages, roots } from './schema.js';
import type { FieldSchema, MessageSchema } from './types.js';
import { WireReader, WireType } from './wire.js';

export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00); // "k8s\0"
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

export interface DecodedObject {
  /** apiVersion from the envelope's TypeMeta, e.g. "v1" or "apps/v1". */
  apiVersion: string;
  /** kind from the envelope's TypeMeta, e.g. "Namespace". */
  kind: string;
  /** The object as its JSON form, including apiVersion and kind. */
  object: Record<string, unknown>;
}

/**
 * Decodes a whole protobuf request body. Throws a 400 BadRequest ApiError when the bytes are
 * not a well-formed envelope, or name a kind this server cannot decode from protobuf.
 */
export function decodeKubernetesProtobuf(body: Uint8Array): DecodedObject {
  if (body.length < PROTOBUF_MAGIC.length || !PROTOBUF_MAGIC.every((b, i) => body[i] === b)) {
    throw badRequest('protobuf body does not start with the Kubernetes prefix "k8s\\x00"');
  }
  const env = readUnknown(body.subarray(PROTOBUF_MAGIC.length));
  if (env.contentEncoding !== '') {
    throw badRequest(`protobuf body: unsupported contentEncoding "${env.contentEncoding}"`);
  }
  if (env.contentType !== '' && env.contentType !== PROTOBUF_CONTENT_TYPE) {
    throw badRequest(`protobuf body: unsupported contentType "${env.contentType}" of the embedded object`);
  }
  const { apiVersion, kind } = env;
  if (!kind) throw badRequest('protobuf body: the envelope does not name a kind');
  const root = roots.find((r) => r.kind === kind && (r.apiVersion === '*' || r.apiVersion === apiVersion));
  if (!root) {
    throw badRequest(
      `protobuf body: cannot decode kind "${kind}" of apiVersion "${apiVersion}" from protobuf; send it as application/json`,
    );
  }
  const fields = decodeMessage(root.message, env.raw, kind);
  if (typeof fields !== 'object' || fields === null) {
    throw badRequest(`protobuf body: ${kind} did not decode to an object`);
  }
  return { apiVersion, kind, object: { kind, apiVersion, ...fields } };
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

/** runtime.Unknown: 1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType. */
function readUnknown(bytes: Uint8Array): Envelope {
  const env: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(), contentEncoding: '', contentType: '' };
  const r = new WireReader(bytes, 'envelope');
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (field > 4) {
      r.skip(wireType);
      continue;
    }
    expectWireType(wireType, WireType.LengthDelimited, `envelope field ${field}`);
    const value = r.bytes();
    if (field === 1) {
      const tm = new WireReader(value, 'envelope typeMeta');
      while (!tm.done()) {
        const t = tm.tag();
        if (t.field !== 1 && t.field !== 2) {
          tm.skip(t.wireType);
          continue;
        }
        expectWireType(t.wireType, WireType.LengthDelimited, `typeMeta field ${t.field}`);
        const s = utf8(tm.bytes());
        if (t.field === 1) env.apiVersion = s;
        else env.kind = s;
      }
    } else if (field === 2) env.raw = value;
    else if (field === 3) env.contentEncoding = utf8(value);
    else env.contentType = utf8(value);
  }
  return env;
}

/**
 * Decodes the bytes of the named message (short name, as in schema.ts) to its JSON value;
 * `path` is the JSON path used in error messages.
 */
export function decodeMessage(name: string, bytes: Uint8Array, path: string): unknown {
  const special = specialTypes[name];
  if (special) return special(bytes, path);
  const schema = messages[name];
  if (!schema) throw badRequest(`protobuf body: no schema for message ${name} at ${path}`);
  return decodeFields(schema, bytes, path);
}

/** Field tables indexed by number, built once per message on first use. */
const byNumber = new Map<MessageSchema, Map<number, FieldSchema>>();

function decodeFields(schema: MessageSchema, bytes: Uint8Array, path: string): Record<string, unknown> {
  let index = byNumber.get(schema);
  if (!index) {
    index = new Map(schema.map((f) => [f.n, f]));
    byNumber.set(schema, index);
  }
  const out: Record<string, unknown> = {};
  const r = new WireReader(bytes, path);
  while (!r.done()) {
    const { field, wireType } = r.tag();
    const f = index.get(field);
    if (!f) {
      r.skip(wireType); // a field newer than our table; the JSON decoder would drop it as well
      continue;
    }
    const fpath = `${path}.${f.json || `(${field})`}`;
    if (f.map) {
      expectWireType(wireType, WireType.LengthDelimited, fpath);
      const [key, value] = decodeMapEntry(f, r.bytes(), fpath);
      const obj = (out[f.json] ??= {}) as Record<string, unknown>;
      obj[key] = value;
    } else if (f.repeated) {
      const list = (out[f.json] ??= []) as unknown[];
      if (wireType === WireType.LengthDelimited && isNumeric(f.type)) {
        // Packed encoding: one length-delimited run of numbers.
        const packed = new WireReader(r.bytes(), fpath);
        while (!packed.done()) list.push(readValue(f.type, packedWireType(f.type), packed, `${fpath}[${list.length}]`));
      } else {
        list.push(readValue(f.type, wireType, r, `${fpath}[${list.length}]`));
      }
    } else {
      const value = readValue(f.type, wireType, r, fpath);
      if (f.json === '') {
        // Go embeds this struct inline: its members belong to this object.
        Object.assign(out, value as Record<string, unknown>);
      } else if (f.omitEmpty && (value === '' || value === 0 || value === false)) {
        delete out[f.json]; // a later occurrence wins, even a zero one
      } else {
        out[f.json] = value;
      }
    }
  }
  return out;
}

/** Map entries are messages {1 key, 2 value}; either may be missing and then takes its zero value. */
function decodeMapEntry(f: FieldSchema, bytes: Uint8Array, path: string): [string, unknown] {
  let key = '';
  let value: unknown;
  const r = new WireReader(bytes, path);
  while (!r.done()) {
    const t = r.tag();
    if (t.field === 1) {
      expectWireType(t.wireType, WireType.LengthDelimited, `${path} key`);
      key = utf8(r.bytes());
    } else if (t.field === 2) {
      value = readValue(f.type, t.wireType, r, `${path}[${JSON.stringify(key)}]`);
    } else {
      r.skip(t.wireType);
    }
  }
  if (value === undefined) value = zeroValue(f.type, `${path}[${JSON.stringify(key)}]`);
  return [key, value];
}

function readValue(type: string, wireType: number, r: WireReader, path: string): unknown {
  switch (type) {
    case 'string':
      expectWireType(wireType, WireType.LengthDelimited, path);
      return utf8(r.bytes());
    case 'bytes':
      expectWireType(wireType, WireType.LengthDelimited, path);
      return base64(r.bytes());
    case 'bool':
      expectWireType(wireType, WireType.Varint, path);
      return r.uint64() !== 0n;
    case 'int32':
      expectWireType(wireType, WireType.Varint, path);
      return Number(BigInt.asIntN(32, r.uint64()));
    case 'uint32':
      expectWireType(wireType, WireType.Varint, path);
      return Number(BigInt.asUintN(32, r.uint64()));
    case 'int64':
      // Beyond 2^53 this rounds, exactly as JSON.parse would round the same number.
      expectWireType(wireType, WireType.Varint, path);
      return Number(BigInt.asIntN(64, r.uint64()));
    case 'uint64':
      expectWireType(wireType, WireType.Varint, path);
      return Number(r.uint64());
    case 'double':
      expectWireType(wireType, WireType.Fixed64, path);
      return r.double();
    case 'float':
      expectWireType(wireType, WireType.Fixed32, path);
      return r.float();
    default:
      expectWireType(wireType, WireType.LengthDelimited, path);
      return decodeMessage(type, r.bytes(), path);
  }
}

function zeroValue(type: string, path: string): unknown {
  switch (type) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'uint64':
    case 'double':
    case 'float':
      return 0;
    default:
      return decodeMessage(type, new Uint8Array(), path);
  }
}

function isNumeric(type: string): boolean {
  return packedWireType(type) !== WireType.LengthDelimited;
}

function packedWireType(type: string): number {
  switch (type) {
    case 'bool':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'uint64':
      return WireType.Varint;
    case 'double':
      return WireType.Fixed64;
    case 'float':
      return WireType.Fixed32;
    default:
      return WireType.LengthDelimited;
  }
}

const wireTypeNames = ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'];

function expectWireType(got: number, want: number, path: string): void {
  if (got !== want) {
    throw badRequest(
      `malformed protobuf in ${path}: wire type ${wireTypeNames[got] ?? got}, expected ${wireTypeNames[want]}`,
    );
  }
}

// Go strings are bytes; encoding/json writes invalid UTF-8 as U+FFFD, and so does this decoder.
const textDecoder = new TextDecoder('utf-8');
function utf8(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

// ---- Messages with their own JSON form ----

type SpecialDecoder = (bytes: Uint8Array, path: string) => unknown;

/** Reads a message of varint fields only (times, durations) as field number → signed int64. */
function readVarintFields(bytes: Uint8Array, path: string): Map<number, bigint> {
  const out = new Map<number, bigint>();
  const r = new WireReader(bytes, path);
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (wireType !== WireType.Varint) {
      r.skip(wireType);
      continue;
    }
    out.set(field, BigInt.asIntN(64, r.uint64()));
  }
  return out;
}

/** Reads a message's length-delimited field `want` (the last occurrence), or undefined. */
function readBytesField(bytes: Uint8Array, want: number, path: string): Uint8Array | undefined {
  let value: Uint8Array | undefined;
  const r = new WireReader(bytes, path);
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (field !== want) {
      r.skip(wireType);
      continue;
    }
    expectWireType(wireType, WireType.LengthDelimited, path);
    value = r.bytes();
  }
  return value;
}

/** Seconds since the Unix epoch of Go's zero time.Time (January 1, year 1, UTC). */
const GO_ZERO_TIME_SECONDS = -62135596800n;

/**
 * RFC 3339 in UTC, with `fractionDigits` digits of sub-second precision. Go writes the zero time
 * as `null` (Kubernetes sends an empty Time message for it) and refuses years beyond 0–9999.
 */
function formatTime(bytes: Uint8Array, path: string, fractionDigits: 0 | 6): string | null {
  if (bytes.length === 0) return null;
  const f = readVarintFields(bytes, path);
  const nanos = fractionDigits === 0 ? 0n : f.get(2) ?? 0n; // metav1.Time keeps whole seconds only
  const micros = (f.get(1) ?? 0n) * 1_000_000n + nanos / 1000n;
  let seconds = micros / 1_000_000n;
  let fraction = micros % 1_000_000n;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += 1_000_000n;
  }
  if (seconds === GO_ZERO_TIME_SECONDS && fraction === 0n) return null;
  const date = new Date(Number(seconds) * 1000);
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) {
    throw badRequest(`${path}: time year outside of range [0,9999]`);
  }
  const whole = date.toISOString().slice(0, 19); // "YYYY-MM-DDTHH:MM:SS"
  return fractionDigits === 0 ? `${whole}Z` : `${whole}.${fraction.toString().padStart(6, '0')}Z`;
}

/** Go's time.Duration.String(): "0s", "1.5ms", "2µs", "1h2m3.5s". */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const neg = nanos < 0n;
  let u = neg ? -nanos : nanos;
  let out: string;
  if (u < 1_000_000_000n) {
    const [unit, digits] = u < 1_000n ? ['ns', 0] : u < 1_000_000n ? ['µs', 3] : ['ms', 6];
    const [int, frac] = splitFraction(u, digits);
    out = `${int}${frac}${unit}`;
  } else {
    const [secs, frac] = splitFraction(u, 9);
    u = secs;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** Splits off `digits` decimal digits as ".ddd" without trailing zeros ('' when all zero). */
function splitFraction(v: bigint, digits: number): [bigint, string] {
  if (digits === 0) return [v, ''];
  const scale = 10n ** BigInt(digits);
  const frac = (v % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return [v / scale, frac ? `.${frac}` : ''];
}

const specialTypes: Record<string, SpecialDecoder> = {
  'meta.v1.Time': (bytes, path) => formatTime(bytes, path, 0),
  'meta.v1.MicroTime': (bytes, path) => formatTime(bytes, path, 6),
  // {1 duration int64 nanoseconds}
  'meta.v1.Duration': (bytes, path) => formatGoDuration(readVarintFields(bytes, path).get(1) ?? 0n),
  // {1 string}: the canonical quantity text; Go's zero Quantity prints as "0".
  'resource.Quantity': (bytes, path) => {
    const s = readBytesField(bytes, 1, path);
    return s === undefined || s.length === 0 ? '0' : utf8(s);
  },
  // {1 type (0 int, 1 string), 2 intVal, 3 strVal}
  'intstr.IntOrString': (bytes, path) => {
    let type = 0n;
    let intVal = 0;
    let strVal = '';
    const r = new WireReader(bytes, path);
    while (!r.done()) {
      const { field, wireType } = r.tag();
      if (field === 1) type = BigInt(readValue('int64', wireType, r, path) as number);
      else if (field === 2) intVal = readValue('int32', wireType, r, path) as number;
      else if (field === 3) strVal = readValue('string', wireType, r, path) as string;
      else r.skip(wireType);
    }
    if (type === 0n) return intVal;
    if (type === 1n) return strVal;
    throw badRequest(`${path}: invalid IntOrString type ${type}`);
  },
  // {1 raw}: the embedded JSON document itself (managedFields[].fieldsV1).
  'meta.v1.FieldsV1': (bytes, path) => parseRawJSON(readBytesField(bytes, 1, path), path),
  // {1 raw}: an embedded object, as JSON or as a nested protobuf body.
  'runtime.RawExtension': (bytes, path) => {
    const raw = readBytesField(bytes, 1, path);
    if (raw && raw.length >= 4 && PROTOBUF_MAGIC.every((b, i) => raw[i] === b)) {
      return decodeKubernetesProtobuf(raw).object;
    }
    return parseRawJSON(raw, path);
  },
};

function parseRawJSON(raw: Uint8Array | undefined, path: string): unknown {
  if (raw === undefined || raw.length === 0) return null;
  try {
    return JSON.parse(utf8(raw));
  } catch (err) {
    throw badRequest(`${path}: embedded raw object is not valid JSON: ${(err as Error).message}`);
  }
}
