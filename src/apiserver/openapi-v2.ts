/**
 * The OpenAPI v2 (Swagger 2.0) document kubectl reads from `/openapi/v2`, in JSON and in the
 * gnostic protobuf encoding (`openapi.v2.Document` of google/gnostic's OpenAPIv2.proto).
 *
 * kubectl up to 1.28 downloads this document before `apply` (client-side validation, strategic
 * merge patch metadata, the fieldValidation support check) and `explain`, and gives up when it is
 * missing. Nothing here is a second source of schemas: the document is derived from the v3
 * documents of openapi.ts, translating what Swagger 2.0 cannot express the way kube-apiserver's
 * own v2 document does (int-or-string and Quantity are plain strings; request bodies are `body`
 * parameters; media types become `consumes`/`produces`).
 *
 * The protobuf is encoded from the JSON form with a small wire writer and per-message field tables
 * (field numbers from OpenAPIv2.proto). Encoding rejects any key it has no field for, so the two
 * representations cannot silently drift apart.
 */
import { createHash } from 'node:crypto';
import { stringify as stringifyYAML } from 'yaml';
import { openapiV3Document, openapiV3Index, servedResources, type OpenApiResource } from './openapi.js';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Serving

/** The content type kube-apiserver answers protobuf requests for `/openapi/v2` with. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
/** The older spelling client-go still sends in its Accept header; answered as OPENAPI_V2_PROTOBUF. */
export const OPENAPI_V2_PROTOBUF_DEPRECATED = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** Which representation of the v2 document a request gets. */
export interface OpenapiV2Representation {
  format: 'json' | 'protobuf';
  /** The Content-Type to answer with. */
  contentType: string;
}

const representations: readonly (OpenapiV2Representation & { accepts: string })[] = [
  { accepts: 'application/json', format: 'json', contentType: 'application/json' },
  { accepts: OPENAPI_V2_PROTOBUF_DEPRECATED, format: 'protobuf', contentType: OPENAPI_V2_PROTOBUF },
  { accepts: OPENAPI_V2_PROTOBUF, format: 'protobuf', contentType: OPENAPI_V2_PROTOBUF },
];

/**
 * Picks the representation for an Accept header the way kube-openapi's handler does: clauses by
 * descending q (exact types before wildcards), first clause matching JSON or either protobuf
 * spelling wins; a missing header means `*∕*` (JSON). Undefined means answer 406 Not Acceptable.
 */
export function negotiateOpenapiV2(accept: string | undefined): OpenapiV2Representation | undefined {
  const clauses = (accept?.trim() ? accept : '*/*')
    .split(',')
    .map((part, order) => {
      const [range = '', ...params] = part.split(';').map((s) => s.trim());
      const qParam = params.find((p) => /^q=/i.test(p));
      const q = qParam ? Number(qParam.slice(2)) : 1;
      const [type = '', subtype = ''] = range.toLowerCase().split('/');
      return { type, subtype, q: Number.isNaN(q) ? 0 : q, order };
    })
    .filter((c) => c.q > 0 && c.type !== '')
    .sort((a, b) => b.q - a.q || wildcards(a) - wildcards(b) || a.order - b.order);
  for (const c of clauses) {
    for (const r of representations) {
      const [type, subtype] = r.accepts.split('/') as [string, string];
      if ((c.type === type || c.type === '*') && (c.subtype === subtype || c.subtype === '*')) {
        return { format: r.format, contentType: r.contentType };
      }
    }
  }
  return undefined;
}

function wildcards(c: { type: string; subtype: string }): number {
  return (c.type === '*' ? 1 : 0) + (c.subtype === '*' ? 1 : 0);
}

interface BuiltV2 {
  doc: Json;
  json: string;
  protobuf: Buffer;
  etag: string;
}

const built = new WeakMap<readonly OpenApiResource[], BuiltV2>();

function builtFor(resources: readonly OpenApiResource[]): BuiltV2 {
  let b = built.get(resources);
  if (!b) {
    const doc = swaggerFromV3(resources);
    const json = JSON.stringify(doc);
    b = {
      doc,
      json,
      protobuf: encodeOpenapiV2Document(doc),
      // One tag for both representations, computed from the JSON, as kube-openapi does (it sends Vary: Accept).
      etag: createHash('sha512').update(json).digest('hex').toUpperCase(),
    };
    built.set(resources, b);
  }
  return b;
}

/** The Swagger 2.0 document as JSON; built once per resource list and shared, so callers must not mutate it. */
export function openapiV2JSON(resources: readonly OpenApiResource[] = servedResources): object {
  return builtFor(resources).doc;
}

/** The same document as a gnostic `openapi.v2.Document` protobuf; built once and shared. */
export function openapiV2Protobuf(resources: readonly OpenApiResource[] = servedResources): Buffer {
  return builtFor(resources).protobuf;
}

/** Entity tag (unquoted, upper-case hex SHA-512 of the JSON) shared by both representations. */
export function openapiV2ETag(resources: readonly OpenApiResource[] = servedResources): string {
  return builtFor(resources).etag;
}

/**
 * Both representations ready to send, built once: answer `json` or `protobuf` as
 * `negotiateOpenapiV2` picks, with `ETag: "<etag>"` and `Vary: Accept`, and 304 when
 * If-None-Match carries the tag, as kube-apiserver does.
 */
export function openapiV2Serialized(
  resources: readonly OpenApiResource[] = servedResources,
): { json: string; protobuf: Buffer; etag: string } {
  const { json, protobuf, etag } = builtFor(resources);
  return { json, protobuf, etag };
}

// ---------------------------------------------------------------------------------------------
// OpenAPI v3 → Swagger 2.0

const V3_SCHEMA_REF = '#/components/schemas/';

/** Schema keywords Swagger 2.0 shares with OpenAPI 3.0 (copied as they are). */
const sharedSchemaKeys = new Set([
  'type', 'format', 'title', 'description', 'default', 'multipleOf', 'maximum', 'exclusiveMaximum',
  'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems',
  'uniqueItems', 'maxProperties', 'minProperties', 'required', 'enum', 'discriminator', 'readOnly', 'example',
]);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mapValues(o: unknown, f: (v: Json, where: string) => Json, where: string): Record<string, Json> {
  if (!isObject(o)) throw new Error(`openapi v2: expected an object at ${where}`);
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(o)) {
    if (!isObject(v)) throw new Error(`openapi v2: expected an object at ${where}.${k}`);
    out[k] = f(v, `${where}.${k}`);
  }
  return out;
}

function v2Ref(ref: unknown, where: string): string {
  if (typeof ref !== 'string' || !ref.startsWith(V3_SCHEMA_REF)) throw new Error(`openapi v2: unsupported $ref ${String(ref)} at ${where}`);
  return `#/definitions/${ref.slice(V3_SCHEMA_REF.length)}`;
}

/**
 * One schema in Swagger 2.0 terms. `oneOf`/`anyOf` over primitive types (IntOrString, Quantity)
 * become `type: string`, which is how kube-apiserver's v2 document publishes them (and
 * `format: int-or-string` survives); a one-element `allOf` (v3's way of putting siblings next
 * to a `$ref`) becomes the `$ref` itself.
 */
function convertSchema(s: Json, where: string): Json {
  const out: Json = {};
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives !== undefined || s['x-kubernetes-int-or-string'] === true) {
    if (alternatives !== undefined && !(Array.isArray(alternatives) && alternatives.every(isPrimitiveAlternative))) {
      throw new Error(`openapi v2: Swagger 2.0 cannot express the oneOf/anyOf at ${where}`);
    }
    out.type = 'string';
    if (s['x-kubernetes-int-or-string'] === true) out.format = 'int-or-string';
  }
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case 'oneOf':
      case 'anyOf':
      case 'x-kubernetes-int-or-string':
      case 'nullable':
        break;
      case '$ref':
        out.$ref = v2Ref(v, where);
        break;
      case 'allOf':
        if (!Array.isArray(v)) throw new Error(`openapi v2: allOf is not a list at ${where}`);
        if (v.length === 1 && isObject(v[0]) && Object.keys(v[0]).length === 1 && typeof v[0].$ref === 'string') {
          out.$ref = v2Ref(v[0].$ref, where);
        } else {
          out.allOf = v.map((x, i) => convertSchema(x as Json, `${where}.allOf[${i}]`));
        }
        break;
      case 'properties':
        out.properties = mapValues(v, convertSchema, `${where}.properties`);
        break;
      case 'items':
        if (!isObject(v)) throw new Error(`openapi v2: items is not a schema at ${where}`);
        out.items = convertSchema(v, `${where}.items`);
        break;
      case 'additionalProperties':
        out.additionalProperties = typeof v === 'boolean' ? v : convertSchema(v as Json, `${where}.additionalProperties`);
        break;
      default:
        if (!k.startsWith('x-') && !sharedSchemaKeys.has(k)) throw new Error(`openapi v2: no Swagger 2.0 equivalent for ${k} at ${where}`);
        if (!(k in out)) out[k] = v;
    }
  }
  return out;
}

function isPrimitiveAlternative(v: unknown): boolean {
  return isObject(v) && ['string', 'integer', 'number', 'boolean'].includes(v.type as string);
}

/** A v3 parameter ({name, in, schema}) as a Swagger 2.0 non-body parameter (schema keywords inlined). */
function convertParameter(p: Json, where: string): Json {
  if (typeof p.$ref === 'string') {
    throw new Error(`openapi v2: parameter references are not supported at ${where}`);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'schema') {
      if (!isObject(v)) throw new Error(`openapi v2: parameter schema is not an object at ${where}`);
      Object.assign(out, primitiveItems(v, `${where}.schema`));
    } else if (['name', 'in', 'required', 'description', 'allowEmptyValue'].includes(k) || k.startsWith('x-')) {
      out[k] = v;
    } else {
      throw new Error(`openapi v2: parameter field ${k} has no Swagger 2.0 equivalent at ${where}`);
    }
  }
  return out;
}

/** A parameter's schema as Swagger 2.0's inlined validation keywords (and PrimitivesItems for `items`). */
function primitiveItems(s: Json, where: string): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'items' && isObject(v)) out.items = primitiveItems(v, `${where}.items`);
    else if (sharedSchemaKeys.has(k) && k !== 'required') out[k] = v;
    else throw new Error(`openapi v2: parameter schema keyword ${k} is not supported at ${where}`);
  }
  return out;
}

/** The schema of a v3 `content` map (every media type carries the same one in our documents). */
function contentSchema(content: unknown, where: string): Json | undefined {
  if (content === undefined) return undefined;
  if (!isObject(content)) throw new Error(`openapi v2: content is not an object at ${where}`);
  const first = Object.values(content).find((m) => isObject(m) && isObject(m.schema)) as { schema: Json } | undefined;
  return first && convertSchema(first.schema, `${where}.content`);
}

function convertOperation(op: Json, where: string): Json {
  const out: Json = {};
  const produces = new Set<string>();
  for (const [k, v] of Object.entries(op)) {
    switch (k) {
      case 'tags':
      case 'summary':
      case 'description':
      case 'operationId':
      case 'deprecated':
        out[k] = v;
        break;
      case 'parameters':
        if (!Array.isArray(v)) throw new Error(`openapi v2: parameters is not a list at ${where}`);
        out.parameters = [...((out.parameters as Json[] | undefined) ?? []), ...v.map((p, i) => convertParameter(p as Json, `${where}.parameters[${i}]`))];
        break;
      case 'requestBody': {
        if (!isObject(v) || !isObject(v.content)) throw new Error(`openapi v2: requestBody without content at ${where}`);
        out.consumes = Object.keys(v.content);
        const body: Json = { name: 'body', in: 'body', required: v.required === true };
        if (typeof v.description === 'string') body.description = v.description;
        body.schema = contentSchema(v.content, `${where}.requestBody`) ?? {};
        // Kubernetes lists the body before the query parameters.
        out.parameters = [body, ...((out.parameters as Json[] | undefined) ?? [])];
        break;
      }
      case 'responses':
        out.responses = mapValues(v, (r, rw) => {
          const response: Json = { description: typeof r.description === 'string' ? r.description : '' };
          if (isObject(r.content)) for (const t of Object.keys(r.content)) produces.add(t);
          const schema = contentSchema(r.content, rw);
          if (schema) response.schema = schema;
          return response;
        }, `${where}.responses`);
        break;
      default:
        if (!k.startsWith('x-')) throw new Error(`openapi v2: operation field ${k} has no Swagger 2.0 equivalent at ${where}`);
        out[k] = v;
    }
  }
  if (produces.size > 0) out.produces = [...produces];
  return out;
}

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

function convertPathItem(item: Json, where: string): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(item)) {
    if ((methods as readonly string[]).includes(k)) {
      out[k] = convertOperation(v as Json, `${where}.${k}`);
    } else if (k === 'parameters') {
      if (!Array.isArray(v)) throw new Error(`openapi v2: parameters is not a list at ${where}`);
      out.parameters = v.map((p, i) => convertParameter(p as Json, `${where}.parameters[${i}]`));
    } else if (k.startsWith('x-')) {
      out[k] = v;
    } else if (k !== 'summary' && k !== 'description') {
      throw new Error(`openapi v2: path item field ${k} has no Swagger 2.0 equivalent at ${where}`);
    }
  }
  return out;
}

/**
 * Adds a definition from one group-version's document. The same schema appears in several
 * documents (ObjectMeta, Status, Scale...); they agree, except that a kind may be listed under a
 * different group-version in each, so the GVK lists are merged.
 */
function addDefinition(definitions: Json, name: string, schema: Json): void {
  const existing = definitions[name] as Json | undefined;
  if (!existing) {
    definitions[name] = schema;
    return;
  }
  const gvkKey = 'x-kubernetes-group-version-kind';
  const mine = (existing[gvkKey] as Json[] | undefined) ?? [];
  const theirs = (schema[gvkKey] as Json[] | undefined) ?? [];
  const seen = new Set(mine.map((g) => JSON.stringify(g)));
  const merged = [...mine, ...theirs.filter((g) => !seen.has(JSON.stringify(g)))];
  if (merged.length > 0) existing[gvkKey] = merged;
}

function sortKeys(o: Json): Json {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Merges every group-version document of openapi.ts into one Swagger 2.0 document. */
function swaggerFromV3(resources: readonly OpenApiResource[]): Json {
  const index = (openapiV3Index(resources) as { paths: Record<string, unknown> }).paths;
  const paths: Json = {};
  const definitions: Json = {};
  const securityDefinitions: Json = {};
  let info: Json | undefined;
  let security: unknown;
  for (const gvPath of Object.keys(index)) {
    const doc = openapiV3Document(gvPath, resources) as Json | undefined;
    if (!doc) throw new Error(`openapi v2: the v3 index names ${gvPath} but there is no such document`);
    info ??= doc.info as Json;
    security ??= doc.security;
    for (const [path, item] of Object.entries(mapValues(doc.paths, convertPathItem, `${gvPath}.paths`))) {
      if (path in paths) throw new Error(`openapi v2: path ${path} is described by two documents`);
      paths[path] = item;
    }
    const components = (doc.components ?? {}) as Json;
    for (const [name, schema] of Object.entries(mapValues(components.schemas ?? {}, convertSchema, `${gvPath}.schemas`))) {
      addDefinition(definitions, name, schema);
    }
    for (const [name, scheme] of Object.entries((components.securitySchemes ?? {}) as Record<string, Json>)) {
      // Only API keys mean the same in both versions; a bearer token is sent as an Authorization header key.
      if (scheme.type !== 'apiKey') throw new Error(`openapi v2: security scheme ${name} (${String(scheme.type)}) is not supported`);
      securityDefinitions[name] = { type: 'apiKey', name: scheme.name, in: scheme.in, ...(scheme.description ? { description: scheme.description } : {}) };
    }
  }
  const out: Json = {
    swagger: '2.0',
    info: { title: info?.title ?? 'Kubernetes', version: info?.version ?? 'unversioned' },
    paths: sortKeys(paths),
    definitions: sortKeys(definitions),
  };
  if (Object.keys(securityDefinitions).length > 0) out.securityDefinitions = securityDefinitions;
  if (security !== undefined) out.security = security;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Protobuf wire writer

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;

/**
 * Appends protobuf fields to a growing buffer. Scalar writers skip proto3 default values (0,
 * false, ""), which a proto3 encoder never puts on the wire; `message` always writes, because a
 * present-but-empty message means something (an empty `properties` is still an object).
 */
export class ProtoWriter {
  private buf = Buffer.allocUnsafe(64);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private varint(v: bigint): void {
    this.reserve(10);
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  private smallVarint(v: number): void {
    this.reserve(5);
    while (v >= 0x80) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.len++] = v;
  }

  private key(field: number, wireType: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new Error(`protobuf: invalid field number ${field}`);
    this.varint((BigInt(field) << 3n) | BigInt(wireType));
  }

  /** An int32/int64/uint64 field; negative values take ten bytes (two's complement), as in protobuf. */
  int64(field: number, v: number): void {
    if (!Number.isSafeInteger(v)) throw new Error(`protobuf: field ${field}: ${v} is not an integer`);
    if (v === 0) return;
    this.key(field, WIRE_VARINT);
    this.varint(BigInt(v));
  }

  bool(field: number, v: boolean): void {
    if (!v) return;
    this.key(field, WIRE_VARINT);
    this.smallVarint(1);
  }

  double(field: number, v: number): void {
    if (v === 0 && !Object.is(v, -0)) return;
    this.key(field, WIRE_FIXED64);
    this.reserve(8);
    this.buf.writeDoubleLE(v, this.len);
    this.len += 8;
  }

  /** A singular string field; "" is the default and is not written. */
  string(field: number, v: string): void {
    if (v !== '') this.bytes(field, Buffer.from(v, 'utf8'));
  }

  /** A repeated string field: every element is written, empty or not. */
  strings(field: number, vs: readonly string[]): void {
    for (const v of vs) this.bytes(field, Buffer.from(v, 'utf8'));
  }

  bytes(field: number, b: Uint8Array): void {
    this.key(field, WIRE_LENGTH_DELIMITED);
    this.smallVarint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** An embedded message, written by `build` into a writer of its own. */
  message(field: number, build: (w: ProtoWriter) => void): void {
    const sub = new ProtoWriter();
    build(sub);
    this.bytes(field, sub.view());
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** A copy of the bytes written. */
  finish(): Buffer {
    return Buffer.from(this.view());
  }
}

// ---------------------------------------------------------------------------------------------
// gnostic openapi.v2 messages
//
// Each message is a table from JSON key to (field number, codec); keys starting with "x-" go to
// the message's repeated NamedAny vendor_extension field. Fields are written in table order,
// which is field-number order, as protoc-generated encoders do.

type Codec = (w: ProtoWriter, field: number, value: unknown, where: string) => void;

interface MessageType {
  fields: readonly (readonly [key: string, field: number, codec: Codec])[];
  /** Field number of `repeated NamedAny vendor_extension`, if the message has one. */
  vendorExtension?: number;
}

function fail(where: string, what: string): never {
  throw new Error(`openapi v2 protobuf: ${what} at ${where}`);
}

const str: Codec = (w, f, v, where) => {
  if (typeof v !== 'string') fail(where, 'expected a string');
  w.string(f, v);
};
const strs: Codec = (w, f, v, where) => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(where, 'expected a list of strings');
  w.strings(f, v);
};
const bool: Codec = (w, f, v, where) => {
  if (typeof v !== 'boolean') fail(where, 'expected a boolean');
  w.bool(f, v);
};
const double: Codec = (w, f, v, where) => {
  if (typeof v !== 'number') fail(where, 'expected a number');
  w.double(f, v);
};
const int64: Codec = (w, f, v, where) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(where, 'expected an integer');
  w.int64(f, v);
};

/** YAML of an arbitrary value, as gnostic's `Any.yaml` carries it (kubectl reads it with yaml.Unmarshal). */
function yamlOf(v: unknown): string {
  return stringifyYAML(v, { lineWidth: 0 });
}

/** `Any { google.protobuf.Any value = 1; string yaml = 2; }`. */
const any: Codec = (w, f, v) => w.message(f, (a) => a.string(2, yamlOf(v)));
const anys: Codec = (w, f, v, where) => {
  if (!Array.isArray(v)) fail(where, 'expected a list');
  for (const x of v) any(w, f, x, where);
};

function message(type: MessageType): Codec {
  return (w, f, v, where) => {
    if (!isObject(v)) fail(where, 'expected an object');
    w.message(f, (m) => encodeMessage(m, type, v, where));
  };
}

function repeated(codec: Codec): Codec {
  return (w, f, v, where) => {
    if (!Array.isArray(v)) fail(where, 'expected a list');
    v.forEach((x, i) => codec(w, f, x, `${where}[${i}]`));
  };
}

/**
 * A JSON map as a gnostic wrapper message: `repeated Named<X> additional_properties = n`, each
 * `Named<X> { string name = 1; X value = 2; }`.
 */
function namedMap(valueCodec: Codec): Codec {
  return (w, f, v, where) => {
    if (!isObject(v)) fail(where, 'expected an object');
    w.message(f, (m) => namedEntries(m, 1, v, valueCodec, where));
  };
}

function namedEntries(w: ProtoWriter, field: number, v: Json, valueCodec: Codec, where: string): void {
  for (const [name, value] of Object.entries(v)) {
    w.message(field, (n) => {
      n.string(1, name);
      valueCodec(n, 2, value, `${where}.${name}`);
    });
  }
}

function encodeMessage(w: ProtoWriter, type: MessageType, v: Json, where: string): void {
  const known = new Set(type.fields.map(([k]) => k));
  for (const k of Object.keys(v)) {
    if (!known.has(k) && !(k.startsWith('x-') && type.vendorExtension)) fail(where, `no field for ${k}`);
  }
  for (const [k, field, codec] of type.fields) {
    if (v[k] !== undefined) codec(w, field, v[k], `${where}.${k}`);
  }
  if (type.vendorExtension) {
    const extensions = Object.fromEntries(Object.entries(v).filter(([k]) => k.startsWith('x-')));
    namedEntries(w, type.vendorExtension, extensions, any, where);
  }
}

const externalDocs: MessageType = { fields: [['description', 1, str], ['url', 2, str]], vendorExtension: 3 };

// Schema ----------------------------------------------------------------------------------------

const schemaType: MessageType = {
  fields: [
    ['$ref', 1, str],
    ['format', 2, str],
    ['title', 3, str],
    ['description', 4, str],
    ['default', 5, any],
    ['multipleOf', 6, double],
    ['maximum', 7, double],
    ['exclusiveMaximum', 8, bool],
    ['minimum', 9, double],
    ['exclusiveMinimum', 10, bool],
    ['maxLength', 11, int64],
    ['minLength', 12, int64],
    ['pattern', 13, str],
    ['maxItems', 14, int64],
    ['minItems', 15, int64],
    ['uniqueItems', 16, bool],
    ['maxProperties', 17, int64],
    ['minProperties', 18, int64],
    ['required', 19, strs],
    ['enum', 20, anys],
    // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2; } }
    ['additionalProperties', 21, (w, f, v, where) =>
      w.message(f, (m) => (typeof v === 'boolean' ? m.bool(2, v) : schema(m, 1, v, where)))],
    // TypeItem { repeated string value = 1; }
    ['type', 22, (w, f, v, where) => w.message(f, (m) => strs(m, 1, typeof v === 'string' ? [v] : v, where))],
    // ItemsItem { repeated Schema schema = 1; }
    ['items', 23, (w, f, v, where) => w.message(f, (m) => repeated(schema)(m, 1, Array.isArray(v) ? v : [v], where))],
    ['allOf', 24, (w, f, v, where) => repeated(schema)(w, f, v, where)],
    // Properties { repeated NamedSchema additional_properties = 1; }
    ['properties', 25, (w, f, v, where) => namedMap(schema)(w, f, v, where)],
    ['discriminator', 26, str],
    ['readOnly', 27, bool],
    ['externalDocs', 29, message(externalDocs)],
    ['example', 30, any],
  ],
  vendorExtension: 31,
};

function schema(w: ProtoWriter, f: number, v: unknown, where: string): void {
  message(schemaType)(w, f, v, where);
}

// Parameters ------------------------------------------------------------------------------------

/**
 * The validation keywords every non-body parameter shares (and PrimitivesItems and Header), in
 * field order from `type`; only the first field number differs between the messages.
 */
function primitiveFields(first: number): MessageType['fields'] {
  const codecs: [string, Codec][] = [
    ['type', str], ['format', str], ['items', (w, f, v, where) => message(primitivesItems)(w, f, v, where)],
    ['collectionFormat', str], ['default', any], ['maximum', double], ['exclusiveMaximum', bool],
    ['minimum', double], ['exclusiveMinimum', bool], ['maxLength', int64], ['minLength', int64],
    ['pattern', str], ['maxItems', int64], ['minItems', int64], ['uniqueItems', bool], ['enum', anys],
    ['multipleOf', double],
  ];
  return codecs.map(([k, c], i) => [k, first + i, c] as const);
}

const primitivesItems: MessageType = { fields: primitiveFields(1), vendorExtension: 18 };

const leadingParameterFields: MessageType['fields'] = [
  ['required', 1, bool], ['in', 2, str], ['description', 3, str], ['name', 4, str],
];
/** QueryParameterSubSchema and FormDataParameterSubSchema (they have allow_empty_value = 5). */
const queryParameter: MessageType = {
  fields: [...leadingParameterFields, ['allowEmptyValue', 5, bool], ...primitiveFields(6)],
  vendorExtension: 23,
};
/** PathParameterSubSchema and HeaderParameterSubSchema. */
const pathParameter: MessageType = { fields: [...leadingParameterFields, ...primitiveFields(5)], vendorExtension: 22 };
const bodyParameter: MessageType = {
  fields: [['description', 1, str], ['name', 2, str], ['in', 3, str], ['required', 4, bool], ['schema', 5, schema]],
  vendorExtension: 6,
};

/** NonBodyParameter's oneof field for each `in`. */
const nonBodyField: Record<string, [number, MessageType]> = {
  header: [1, pathParameter],
  formData: [2, queryParameter],
  query: [3, queryParameter],
  path: [4, pathParameter],
};

/** ParametersItem { oneof { Parameter parameter = 1; JsonReference json_reference = 2; } }. */
const parametersItem: Codec = (w, f, v, where) => {
  if (!isObject(v)) fail(where, 'expected a parameter object');
  w.message(f, (item) => {
    if (typeof v.$ref === 'string') {
      item.message(2, (ref) => encodeMessage(ref, { fields: [['$ref', 1, str], ['description', 2, str]] }, v, where));
      return;
    }
    // Parameter { oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } }
    item.message(1, (p) => {
      if (v.in === 'body') {
        message(bodyParameter)(p, 1, v, where);
        return;
      }
      const kind = nonBodyField[v.in as string];
      if (!kind) fail(where, `unknown parameter location ${String(v.in)}`);
      p.message(2, (nb) => message(kind[1])(nb, kind[0], v, where));
    });
  });
};

// Operations and paths --------------------------------------------------------------------------

const header: MessageType = { fields: [...primitiveFields(1), ['description', 18, str]], vendorExtension: 19 };

const response: MessageType = {
  fields: [
    ['description', 1, str],
    // SchemaItem { oneof { Schema schema = 1; FileSchema file_schema = 2; } }
    ['schema', 2, (w, f, v, where) => w.message(f, (m) => schema(m, 1, v, where))],
    ['headers', 3, namedMap(message(header))],
    ['examples', 4, namedMap(any)],
  ],
  vendorExtension: 5,
};

/** Responses { repeated NamedResponseValue response_code = 1; repeated NamedAny vendor_extension = 2; }. */
const responses: Codec = (w, f, v, where) => {
  if (!isObject(v)) fail(where, 'expected an object');
  const codes = Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('x-')));
  const extensions = Object.fromEntries(Object.entries(v).filter(([k]) => k.startsWith('x-')));
  w.message(f, (m) => {
    // ResponseValue { oneof { Response response = 1; JsonReference json_reference = 2; } }
    namedEntries(m, 1, codes, (rv, rf, r, rwhere) => rv.message(rf, (val) => {
      if (isObject(r) && typeof r.$ref === 'string') {
        val.message(2, (ref) => encodeMessage(ref, { fields: [['$ref', 1, str], ['description', 2, str]] }, r, rwhere));
      } else {
        message(response)(val, 1, r, rwhere);
      }
    }), where);
    namedEntries(m, 2, extensions, any, where);
  });
};

/** `[{ name: [scopes] }]`: repeated SecurityRequirement { repeated NamedStringArray additional_properties = 1; }. */
const security: Codec = repeated((w, f, v, where) => {
  if (!isObject(v)) fail(where, 'expected an object');
  // StringArray { repeated string value = 1; }
  w.message(f, (m) => namedEntries(m, 1, v, (sa, sf, scopes, sw) => sa.message(sf, (s) => strs(s, 1, scopes, sw)), where));
});

const operation: MessageType = {
  fields: [
    ['tags', 1, strs],
    ['summary', 2, str],
    ['description', 3, str],
    ['externalDocs', 4, message(externalDocs)],
    ['operationId', 5, str],
    ['produces', 6, strs],
    ['consumes', 7, strs],
    ['parameters', 8, repeated(parametersItem)],
    ['responses', 9, responses],
    ['schemes', 10, strs],
    ['deprecated', 11, bool],
    ['security', 12, security],
  ],
  vendorExtension: 13,
};

const pathItem: MessageType = {
  fields: [
    ['$ref', 1, str],
    ['get', 2, message(operation)],
    ['put', 3, message(operation)],
    ['post', 4, message(operation)],
    ['delete', 5, message(operation)],
    ['options', 6, message(operation)],
    ['head', 7, message(operation)],
    ['patch', 8, message(operation)],
    ['parameters', 9, repeated(parametersItem)],
  ],
  vendorExtension: 10,
};

/** Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; }. */
const paths: Codec = (w, f, v, where) => {
  if (!isObject(v)) fail(where, 'expected an object');
  w.message(f, (m) => {
    namedEntries(m, 1, Object.fromEntries(Object.entries(v).filter(([k]) => k.startsWith('x-'))), any, where);
    namedEntries(m, 2, Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('x-'))), message(pathItem), where);
  });
};

// Document --------------------------------------------------------------------------------------

const info: MessageType = {
  fields: [
    ['title', 1, str],
    ['version', 2, str],
    ['description', 3, str],
    ['termsOfService', 4, str],
    ['contact', 5, message({ fields: [['name', 1, str], ['url', 2, str], ['email', 3, str]], vendorExtension: 4 })],
    ['license', 6, message({ fields: [['name', 1, str], ['url', 2, str]], vendorExtension: 3 })],
  ],
  vendorExtension: 7,
};

/** SecurityDefinitionsItem's oneof: basic authentication (1) and API keys (2); OAuth2 flows are not described. */
const securityScheme: Codec = (w, f, v, where) => {
  if (!isObject(v)) fail(where, 'expected an object');
  w.message(f, (item) => {
    if (v.type === 'basic') {
      message({ fields: [['type', 1, str], ['description', 2, str]], vendorExtension: 3 })(item, 1, v, where);
    } else if (v.type === 'apiKey') {
      message({ fields: [['type', 1, str], ['name', 2, str], ['in', 3, str], ['description', 4, str]], vendorExtension: 5 })(item, 2, v, where);
    } else {
      fail(where, `unsupported security scheme type ${String(v.type)}`);
    }
  });
};

const documentType: MessageType = {
  fields: [
    ['swagger', 1, str],
    ['info', 2, message(info)],
    ['host', 3, str],
    ['basePath', 4, str],
    ['schemes', 5, strs],
    ['consumes', 6, strs],
    ['produces', 7, strs],
    ['paths', 8, paths],
    // Definitions { repeated NamedSchema additional_properties = 1; }
    ['definitions', 9, namedMap(schema)],
    ['security', 12, security],
    // SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1; }
    ['securityDefinitions', 13, namedMap(securityScheme)],
    ['tags', 14, repeated(message({ fields: [['name', 1, str], ['description', 2, str], ['externalDocs', 3, message(externalDocs)]], vendorExtension: 4 }))],
    ['externalDocs', 15, message(externalDocs)],
  ],
  vendorExtension: 16,
};

/**
 * Encodes a Swagger 2.0 document (shaped like `openapiV2JSON()`) as a gnostic
 * `openapi.v2.Document`. Throws on any key the encoding has no field for, rather than drop it.
 * Top-level `parameters` and `responses` definitions are not supported.
 */
export function encodeOpenapiV2Document(doc: object): Buffer {
  const w = new ProtoWriter();
  encodeMessage(w, documentType, doc as Json, 'document');
  return w.finish();
}
