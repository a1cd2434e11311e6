/**
 * Field validation of request bodies against the served schemas, the way kube-apiserver's
 * strict decoding does it: unknown fields (for `fieldValidation=Strict|Warn`) and JSON values
 * of the wrong type (which Kubernetes' decoder rejects with 400 before anything else runs).
 *
 * The walk uses the compiled client-node models from `openapi.ts` (one `Map` lookup per
 * field), so it is cheap enough to run on every write.
 */
import { ApiError, badRequest } from '../api/errors.js';
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
}

export interface FieldCheck {
  /** Paths of fields the schema does not know, e.g. ".spec.containers[0].imagee", in body order. */
  unknown: string[];
  typeErrors: FieldTypeError[];
}

/** Unknown fields and type errors of `obj` as an `apiVersion`/`kind`; empty when the kind is not served. */
export function checkFields(apiVersion: string, kind: string, obj: unknown): FieldCheck {
  const out: FieldCheck = { unknown: [], typeErrors: [] };
  const root = modelForKind(apiVersion, kind);
  if (!root) return out;
  const ft: FieldType = { t: 'object', model: root.model };
  // Nearly every body is fine: a walk that builds no paths answers that; only a body with
  // something to report is walked again to say where.
  if (!isClean(ft, obj)) checkValue(ft, obj, '', root, out);
  return out;
}

/** Whether `v` has no unknown field and no type error under `ft` (checkValue's rules, without paths). */
function isClean(ft: FieldType, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  switch (ft.t) {
    case 'string':
    case 'time':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'intOrString':
      return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'quantity':
      return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
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
function checkValue(ft: FieldType, v: unknown, path: string, owner: CompiledModel, out: FieldCheck): void {
  if (v === null || v === undefined) return; // JSON null decodes to the zero value
  let ok: boolean;
  switch (ft.t) {
    case 'string':
    case 'time':
      ok = typeof v === 'string';
      break;
    case 'integer':
    case 'intOrString':
      ok = (typeof v === 'number' && Number.isInteger(v)) || (ft.t === 'intOrString' && typeof v === 'string');
      break;
    case 'number':
      ok = typeof v === 'number';
      break;
    case 'quantity':
      ok = typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
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
        for (let i = 0; i < items.length; i++) checkValue(ft.items, items[i], `${path}[${i}]`, owner, out);
      }
      break;
    case 'map':
      ok = isObject(v);
      if (ok) {
        for (const key of Object.keys(v as object)) {
          checkValue(ft.values, (v as Record<string, unknown>)[key], `${path}[${key}]`, owner, out);
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
          if (child === undefined) out.unknown.push(p);
          else checkValue(child, o[key], p, c, out);
        }
      }
      break;
    }
  }
  if (!ok) {
    const got = typeof v === 'number' && !Number.isInteger(v) ? `number ${v}` : jsonType(v);
    out.typeErrors.push({ path, expected: expectedName(ft), got, goStruct: shortName(owner), goType: goTypeOf(ft) });
  }
}

function withoutLeadingDot(path: string): string {
  return path.startsWith('.') ? path.slice(1) : path;
}

/**
 * fieldValidation=Strict: 400 BadRequest `strict decoding error: unknown field "spec.x", unknown field "spec.y"`,
 * the message kube-apiserver's strict decoder produces.
 */
export function strictDecodingError(paths: string[]): ApiError {
  const msgs = paths.map((p) => `unknown field ${JSON.stringify(withoutLeadingDot(p))}`);
  return badRequest(`strict decoding error: ${msgs.join(', ')}`);
}

/** The text of one fieldValidation=Warn warning: `unknown field "spec.x"` (kubectl prints "Warning: <text>"). */
export function unknownFieldWarningText(path: string): string {
  return `unknown field ${JSON.stringify(withoutLeadingDot(path))}`;
}

/** `Warning` response header values (RFC 7234 code 299) for fieldValidation=Warn, one per unknown field. */
export function unknownFieldWarningHeaders(paths: string[]): string[] {
  return paths.map((p) => `299 - ${JSON.stringify(unknownFieldWarningText(p))}`);
}

/**
 * 400 BadRequest for a body whose values have the wrong JSON type, worded like kube-apiserver's
 * decoder: `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into
 * Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`.
 * Kubernetes stops at the first such error, so only the first is reported.
 */
export function fieldTypeError(apiVersion: string, kind: string, errors: FieldTypeError[]): ApiError {
  const e = errors[0];
  if (!e) throw new Error('fieldTypeError needs at least one error');
  const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
  const goPath = withoutLeadingDot(e.path).replace(/\[[^\]]*\]/g, '');
  const cause = `json: cannot unmarshal ${e.got} into Go struct field ${e.goStruct}.${goPath} of type ${e.goType}`;
  return new ApiError(400, 'BadRequest', `${kind} in version "${version}" cannot be handled as a ${kind}: ${cause}`);
}
