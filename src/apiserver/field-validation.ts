/**
 * Field validation of request bodies against the served schemas, the way kube-apiserver's
 * strict decoding does it: unknown fields (for `fieldValidation=Strict|Warn`) and JSON values
 * of the wrong type, or strings its decoder cannot read (a quantity, base64 bytes), which
 * Kubernetes' decoder rejects with 400 before anything else runs.
 *
 * The walk uses the compiled client-node models from `openapi.ts` (one `Map` lookup per
 * field), so it is cheap enough to run on every write.
 */
import { ApiError, badRequest, invalid } from '../api/errors.js';
import { invalidValue } from '../api/validation.js';
import { base64Error } from '../api/kinds/configdata.js';
import { parseQuantity } from '../api/quantity.js';
import { compiledModel, modelForKind, type CompiledModel, type FieldType } from './openapi.js';

/** A JSON value whose type does not match the schema. */
export interface FieldTypeError {
  /** JSON path with a leading dot, e.g. ".spec.containers[0].ports[0].containerPort". */
  path: string;
  /** Schema type: string, integer, number, boolean, object, array, int-or-string, quantity, date-time. */
  expected: string;
  /** What the body holds: string, number, boolean, object, array (numbers with a fraction as "number 1.5"). */
  got: string;
  /** Go struct holding the field and the field's Go type, for Kubernetes' decoder wording. */
  goStruct: string;
  goType: string;
  /** The decoder's own words when the JSON type is right but the value is not (a malformed time). */
  detail?: string;
}

export interface FieldCheck {
  /** Paths of fields the schema does not know, e.g. ".spec.containers[0].imagee", in body order. */
  unknown: string[];
  typeErrors: FieldTypeError[];
}

/**
 * Unknown fields and type errors of `obj` as an `apiVersion`/`kind`; empty when the kind is not
 * served. With `prune`, the unknown fields are also removed from `obj`, as Kubernetes' decoder
 * drops what its types don't have: they are warned about (or ignored), never stored.
 */
export function checkFields(apiVersion: string, kind: string, obj: unknown, opts: { prune?: boolean } = {}): FieldCheck {
  const out: FieldCheck = { unknown: [], typeErrors: [] };
  const root = modelForKind(apiVersion, kind);
  if (!root) return out;
  const ft: FieldType = { t: 'object', model: root.model };
  // Nearly every body is fine: a walk that builds no paths answers that; only a body with
  // something to report is walked again to say where.
  if (!isClean(ft, obj)) checkValue(ft, obj, '', root, out, opts.prune ?? false);
  return out;
}

/** Whether `v` has no unknown field and no type error under `ft` (checkValue's rules, without paths). */
function isClean(ft: FieldType, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  switch (ft.t) {
    case 'string':
      return typeof v === 'string' && (ft.format !== 'byte' || isBase64(v));
    case 'time':
      return typeof v === 'string' && isRFC3339(v);
    case 'integer':
      return fitsInteger(ft.format, v);
    case 'intOrString':
      return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'quantity':
      return typeof v === 'string' ? quantityError(v) === undefined : typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'any':
      return true;
    case 'array': {
      if (!Array.isArray(v)) return false;
      for (let i = 0; i < v.length; i++) if (!isClean(ft.items, v[i])) return false;
      return true;
    }
    case 'map': {
      if (!isObject(v)) return false;
      for (const key of Object.keys(v)) if (!isClean(ft.values, v[key])) return false;
      return true;
    }
    case 'object': {
      if (!isObject(v)) return false;
      const c = compiledModel(ft.model)!;
      for (const key of Object.keys(v)) {
        const child = c.fields.get(key);
        if (child === undefined || !isClean(child, v[key])) return false;
      }
      return true;
    }
  }
}

/** JSON paths (".spec.containers[0].imagee") of the fields in `obj` its kind's schema does not know. */
export function unknownFields(apiVersion: string, kind: string, obj: unknown): string[] {
  return checkFields(apiVersion, kind, obj).unknown;
}

/** Values in `obj` whose JSON type does not match its kind's schema (null is fine anywhere). */
export function typeErrors(apiVersion: string, kind: string, obj: unknown): FieldTypeError[] {
  return checkFields(apiVersion, kind, obj).typeErrors;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

function shortName(c: CompiledModel): string {
  return c.schemaName.slice(c.schemaName.lastIndexOf('.') + 1);
}

/** Go spelling of a field type, as Kubernetes' JSON decoder names it in errors. */
function goTypeOf(ft: FieldType): string {
  switch (ft.t) {
    case 'string':
      return ft.format === 'byte' ? '[]uint8' : 'string';
    case 'integer':
      return ft.format;
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'intOrString':
      return 'intstr.IntOrString';
    case 'quantity':
      return 'resource.Quantity';
    case 'time':
      return ft.micro ? 'v1.MicroTime' : 'v1.Time';
    case 'any':
      return 'runtime.RawExtension';
    case 'array':
      return `[]${goTypeOf(ft.items)}`;
    case 'map':
      return `map[string]${goTypeOf(ft.values)}`;
    case 'object': {
      const c = compiledModel(ft.model)!;
      const pkg = c.schemaName.split('.').at(-2);
      return `${pkg}.${shortName(c)}`;
    }
  }
}

function expectedName(ft: FieldType): string {
  switch (ft.t) {
    case 'intOrString':
      return 'int-or-string';
    case 'time':
      return 'date-time';
    case 'map':
    case 'object':
    case 'any':
      return 'object';
    default:
      return ft.t;
  }
}

/** Checks `v` against `ft`; `owner` is the struct the field belongs to (for the wording of type errors). */
function checkValue(ft: FieldType, v: unknown, path: string, owner: CompiledModel, out: FieldCheck, prune: boolean): void {
  if (v === null || v === undefined) return; // JSON null decodes to the zero value
  let ok: boolean;
  let detail: string | undefined;
  switch (ft.t) {
    case 'string':
      ok = typeof v === 'string';
      // A []byte field is base64 in JSON: Go's decoder fails with the base64 package's error.
      if (ok && ft.format === 'byte' && !isBase64(v as string)) {
        ok = false;
        detail = base64Error(v as string);
      }
      break;
    case 'time':
      ok = typeof v === 'string' && isRFC3339(v);
      if (!ok && typeof v === 'string') detail = `parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time`;
      break;
    case 'integer':
      ok = fitsInteger(ft.format, v);
      break;
    case 'intOrString':
      ok = (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string';
      break;
    case 'number':
      ok = typeof v === 'number';
      break;
    case 'quantity':
      // resource.Quantity's UnmarshalJSON parses the text and fails with ParseQuantity's error.
      detail = typeof v === 'string' ? quantityError(v) : undefined;
      ok = typeof v === 'string' ? detail === undefined : typeof v === 'number' && Number.isFinite(v);
      break;
    case 'boolean':
      ok = typeof v === 'boolean';
      break;
    case 'any':
      return;
    case 'array':
      ok = Array.isArray(v);
      if (ok) {
        const items = v as unknown[];
        for (let i = 0; i < items.length; i++) checkValue(ft.items, items[i], `${path}[${i}]`, owner, out, prune);
      }
      break;
    case 'map':
      ok = isObject(v);
      if (ok) {
        for (const key of Object.keys(v as object)) {
          checkValue(ft.values, (v as Record<string, unknown>)[key], `${path}[${key}]`, owner, out, prune);
        }
      }
      break;
    case 'object': {
      ok = isObject(v);
      if (ok) {
        const c = compiledModel(ft.model)!;
        const o = v as Record<string, unknown>;
        for (const key of Object.keys(o)) {
          const child = c.fields.get(key);
          const p = `${path}.${key}`;
          if (child === undefined) {
            out.unknown.push(p);
            if (prune) delete o[key];
          } else {
            checkValue(child, o[key], p, c, out, prune);
          }
        }
      }
      break;
    }
  }
  if (!ok) {
    // Go names the number when it is a fraction or does not fit the field's integer type.
    const got = typeof v === 'number' && (!Number.isInteger(v) || ft.t === 'integer') ? `number ${v}` : jsonType(v);
    const e: FieldTypeError = { path, expected: expectedName(ft), got, goStruct: shortName(owner), goType: goTypeOf(ft) };
    if (detail) e.detail = detail;
    out.typeErrors.push(e);
  }
}

/** Padded standard base64 in whole quanta: the common case, tested without base64Error's walk. */
const plainBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Whether Go's base64.StdEncoding (which skips line breaks) decodes `s`. */
function isBase64(s: string): boolean {
  return plainBase64.test(s) || base64Error(s) === undefined;
}

/** ParseQuantity's error for `s` ("quantities must match the regular expression …"), if any. */
function quantityError(s: string): string | undefined {
  try {
    parseQuantity(s);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const int32Range = 2 ** 31;
const int64Range = 2 ** 63;

/** Whether `v` is an integer Go can decode into a field of this integer format. */
function fitsInteger(format: 'int32' | 'int64', v: unknown): boolean {
  if (typeof v !== 'number' || !Number.isInteger(v)) return false;
  const range = format === 'int32' ? int32Range : int64Range;
  return v >= -range && v < range;
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Whether `s` is a time Kubernetes' decoder accepts for metav1.Time and MicroTime (RFC 3339,
 * fraction optional). A value it would refuse must not be stored: every client that lists
 * the object afterwards would fail to decode the whole list.
 */
export function isRFC3339(s: string): boolean {
  const m = rfc3339.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return day >= 1 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}

function withoutLeadingDot(path: string): string {
  return path.startsWith('.') ? path.slice(1) : path;
}

/**
 * fieldValidation=Strict: 400 BadRequest `strict decoding error: unknown field "spec.x", unknown field "spec.y"`,
 * the message kube-apiserver's strict decoder produces.
 */
export function strictDecodingError(paths: string[], duplicates: readonly string[] = []): ApiError {
  const msgs = [
    ...paths.map((p) => `unknown field ${JSON.stringify(withoutLeadingDot(p))}`),
    ...duplicates.map((p) => `duplicate field ${JSON.stringify(withoutLeadingDot(p))}`),
  ];
  return badRequest(`strict decoding error: ${msgs.join(', ')}`);
}

/** One open object or array of duplicateFields' walk. */
interface Container {
  /** The path of the container, e.g. ".spec.containers[0]" ("" for the document). */
  path: string;
  /** An object's keys so far; undefined for an array. */
  keys?: Set<string>;
  /** The object's current key, or the array's current index. */
  key: string;
  index: number;
}

/**
 * The fields a JSON text sets twice in one object (".metadata.name"), which Go's strict decoder
 * reports and JSON.parse resolves silently to the last. `text` must already parse as JSON; one
 * pass over it, for fieldValidation=Strict only.
 */
export function duplicateFields(text: string): string[] {
  const out: string[] = [];
  const stack: Container[] = [];
  let expectKey = false;
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.keys ? `${top.path}.${top.key}` : `${top.path}[${top.index}]`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: its end, skipping escapes.
      let j = i + 1;
      let escaped = false;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j++;
        } else if (d === 0x22) {
          break;
        }
      }
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) out.push(`${top.path}.${key}`);
        else top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b) {
      stack.push({ path: childPath(), keys: new Set(), key: '', index: 0 });
      expectKey = true;
    } else if (c === 0x5b) {
      stack.push({ path: childPath(), key: '', index: 0 });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    }
  }
  return out;
}

/** The text of one fieldValidation=Warn warning: `unknown field "spec.x"` (kubectl prints "Warning: <text>"). */
export function unknownFieldWarningText(path: string): string {
  return `unknown field ${JSON.stringify(withoutLeadingDot(path))}`;
}

/**
 * Unknown-field warnings are capped at this many bytes of header values in all. kube-apiserver
 * sends one header per field (only shortening each once they pass 4 KiB of text in all), but a
 * body with thousands of unknown fields would then get response headers far beyond the 16 KiB
 * Node's HTTP client (so client-node, and peapod's own client) accepts: the write succeeds
 * and the client sees a parse error.
 */
const maxWarningBytes = 4 * 1024;

/**
 * `Warning` response header values (RFC 7234 code 299) for fieldValidation=Warn, one per
 * unknown field, the last one saying how many more there were when they don't all fit.
 */
export function unknownFieldWarningHeaders(paths: string[]): string[] {
  const out: string[] = [];
  let size = 0;
  for (const p of paths) {
    const header = `299 - ${JSON.stringify(unknownFieldWarningText(p))}`;
    if (size + header.length > maxWarningBytes) {
      out.push(`299 - ${JSON.stringify(`${paths.length - out.length} more unknown fields not shown`)}`);
      break;
    }
    size += header.length;
    out.push(header);
  }
  return out;
}

/**
 * 400 BadRequest for a body whose values have the wrong JSON type, worded like kube-apiserver's
 * decoder: `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into
 * Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`.
 * Kubernetes stops at the first such error, so only the first is reported.
 */
export function fieldTypeError(apiVersion: string, kind: string, errors: FieldTypeError[]): ApiError {
  const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
  return new ApiError(400, 'BadRequest', `${kind} in version "${version}" cannot be handled as a ${kind}: ${decoderWords(errors)}`);
}

/**
 * The same problems in an object a patch produced: kube-apiserver's patch handler decodes the
 * result itself and answers 422 Invalid on the field "patch", quoting the patch, with the
 * decoder's words.
 */
export function patchedFieldTypeError(errors: FieldTypeError[], patch: string): ApiError {
  return invalid('', '', [invalidValue('patch', patch, decoderWords(errors))]);
}

/** What Go's JSON decoder says of the first problem. */
function decoderWords(errors: FieldTypeError[]): string {
  const e = errors[0];
  if (!e) throw new Error('a field type error needs at least one error');
  const goPath = withoutLeadingDot(e.path).replace(/\[[^\]]*\]/g, '');
  return e.detail ?? `json: cannot unmarshal ${e.got} into Go struct field ${e.goStruct}.${goPath} of type ${e.goType}`;
}
