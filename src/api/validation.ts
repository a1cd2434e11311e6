/**
 * Validation shared by every kind: object names, ObjectMeta (name, namespace, labels,
 * annotations, ownerReferences, finalizers, immutable fields) and small builders for
 * FieldErrors, so kind validators report Kubernetes' field paths and messages.
 */
import type { FieldError } from './errors.js';
import { isPlainObject, type KubeObject } from './object.js';
import type { ResourceType } from './resource.js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, validateLabels } from './labels.js';

// --- FieldError builders ------------------------------------------------------------------------

export function required(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, detail };
}

export function invalidValue(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, value, detail };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  return {
    type: 'FieldValueNotSupported',
    field,
    value,
    detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, value, detail: '' };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, detail };
}

export function tooLong(field: string, maxBytes: number): FieldError {
  return { type: 'FieldValueTooLong', field, detail: `must have at most ${maxBytes} bytes` };
}

/** A list longer than its limit: `Too many: 1001: must have at most 1000 items`. */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, value: actual, detail: `must have at most ${max} items` };
}

export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, value, detail: '' };
}

export function immutable(field: string, value: unknown): FieldError {
  return invalidValue(field, value, 'field is immutable');
}

/** "must be greater than or equal to 0" for negative numbers; also rejects non-integers. */
export function validateNonnegative(field: string, value: unknown): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) return [invalidValue(field, value, 'must be an integer')];
  return value < 0 ? [invalidValue(field, value, 'must be greater than or equal to 0')] : [];
}

export function isValidPortNum(port: unknown): boolean {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

export const PORT_RANGE_MSG = 'must be between 1 and 65535, inclusive';

/** Problems with an IANA_SVC_NAME (container port names, named target ports). */
export function isValidPortName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

const ipv4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** Whether s is a CIDR ("10.244.1.0/24", "fd00::/64"): an IP address and a prefix length that fits it. */
export function isCIDR(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const prefix = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefix) || !isIPAddress(ip)) return false;
  return Number(prefix) <= (ip.includes(':') ? 128 : 32);
}

/** Whether s is an IPv4 address (no leading zeros) or an IPv6 address. */
export function isIPAddress(s: string): boolean {
  if (ipv4.test(s)) return true;
  if (!s.includes(':')) return false;
  let body = s;
  let groupsAvailable = 8;
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    if (!ipv4.test(body.slice(lastColon + 1))) return false;
    body = body.slice(0, lastColon + 1) + '0';
    groupsAvailable = 7;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => g.every((x) => hex.test(x)))) return false;
  const count = groups.reduce((n, g) => n + g.length, 0) + (groupsAvailable === 7 ? 1 : 0);
  return halves.length === 2 ? count < 8 : count === 8;
}

/** Invalid errors at field for each of a name validator's messages. */
export function nameErrors(field: string, value: string, check: (s: string) => string[]): FieldError[] {
  return check(value).map((msg) => invalidValue(field, value, msg));
}

// --- Object names ---------------------------------------------------------------------------------

export type NameValidator = (name: string) => string[];

/**
 * How a kind's names are checked, as Kubernetes does: namespaces are RFC 1123 labels,
 * services RFC 1035 labels (they become DNS names), RBAC objects path segments, everything
 * else RFC 1123 subdomains.
 */
export function nameValidatorFor(rt: Pick<ResourceType, 'group' | 'plural'>): NameValidator {
  if (rt.group === '' && rt.plural === 'namespaces') return isDNS1123Label;
  if (rt.group === '' && rt.plural === 'services') return isDNS1035Label;
  // Roles and bindings have names like "system:basic-user": kube's ValidateRBACName.
  if (rt.group === 'rbac.authorization.k8s.io') return isValidPathSegmentName;
  return isDNS1123Subdomain;
}

/**
 * A name that is safe as one URL path segment (apimachinery's IsValidPathSegmentName): not "."
 * or "..", and without "/" or "%".
 */
export function isValidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

/** generateName is a prefix: a trailing '-' is allowed, so check it as if it were a letter. */
function maskTrailingDash(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('-') ? prefix.slice(0, -1) + 'a' : prefix;
}

// --- ObjectMeta -------------------------------------------------------------------------------------

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

function validateAnnotations(annotations: unknown, field: string): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isPlainObject(annotations)) return [invalidValue(field, annotations, 'must be a map of string keys to string values')];
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalidValue(field, k, msg));
    if (typeof v !== 'string') errs.push(invalidValue(field, v, 'annotation values must be strings'));
    size += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '');
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateOwnerReferences(refs: unknown, field: string): FieldError[] {
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) return [invalidValue(field, refs, 'must be a list')];
  const errs: FieldError[] = [];
  let controller: string | undefined;
  for (const raw of refs) {
    const ref = (isPlainObject(raw) ? raw : {}) as Record<string, unknown>;
    const str = (k: string) => (typeof ref[k] === 'string' ? (ref[k] as string) : '');
    if (!str('apiVersion')) errs.push(invalidValue(`${field}.apiVersion`, str('apiVersion'), 'version must not be empty'));
    if (!str('kind')) errs.push(invalidValue(`${field}.kind`, str('kind'), 'kind must not be empty'));
    if (!str('name')) errs.push(invalidValue(`${field}.name`, str('name'), 'name must not be empty'));
    if (!str('uid')) errs.push(invalidValue(`${field}.uid`, str('uid'), 'uid must not be empty'));
    if (ref.controller === true) {
      const self = `${str('kind')}/${str('name')}`;
      if (controller !== undefined) {
        errs.push(
          invalidValue(
            field,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${self}`,
          ),
        );
      }
      controller ??= self;
    }
  }
  return errs;
}

/** Checks finalizer names at field (metadata.finalizers, or a namespace's spec.finalizers). */
export function validateFinalizers(finalizers: unknown, field: string): FieldError[] {
  if (finalizers === undefined || finalizers === null) return [];
  if (!Array.isArray(finalizers)) return [invalidValue(field, finalizers, 'must be a list of strings')];
  const errs: FieldError[] = [];
  for (const f of finalizers) {
    if (typeof f !== 'string') {
      errs.push(invalidValue(field, f, 'must be a string'));
      continue;
    }
    const msgs = isQualifiedName(f);
    for (const msg of msgs) errs.push(invalidValue(field, f, msg));
    if (msgs.length === 0 && !f.includes('/') && !standardFinalizers.has(f)) {
      errs.push(invalidValue(field, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(invalidValue(field, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

export interface ObjectMetaOptions {
  /** The stored object, on update: immutable metadata fields are compared with it. */
  old?: KubeObject;
}

/**
 * Validation of metadata for a create (or, with `old`, an update) of obj as kind rt. Field
 * paths and messages are kube-apiserver's, e.g. `metadata.name: Invalid value: "Foo": a
 * lowercase RFC 1123 subdomain must consist of ...`.
 */
export function validateObjectMeta(obj: KubeObject, rt: ResourceType, opts: ObjectMetaOptions = {}): FieldError[] {
  const meta = obj.metadata;
  if (!isPlainObject(meta)) return [required('metadata')];
  const errs: FieldError[] = [];
  const nameOf = nameValidatorFor(rt);

  const name = typeof meta.name === 'string' ? meta.name : '';
  const generateName = typeof meta.generateName === 'string' ? meta.generateName : '';
  if (generateName) errs.push(...nameErrors('metadata.generateName', generateName, (s) => nameOf(maskTrailingDash(s))));
  if (!name) {
    if (!generateName) errs.push(required('metadata.name', 'name or generateName is required'));
  } else {
    errs.push(...nameErrors('metadata.name', name, nameOf));
  }

  const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
  if (rt.namespaced) {
    if (!ns) errs.push(required('metadata.namespace'));
    else errs.push(...nameErrors('metadata.namespace', ns, isDNS1123Label));
  } else if (ns) {
    errs.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }

  errs.push(...validateNonnegative('metadata.generation', meta.generation));
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  errs.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  errs.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));

  const old = opts.old?.metadata;
  if (old) {
    const same = (a: unknown, b: unknown) => (a ?? '') === (b ?? '');
    if (!same(meta.name, old.name)) errs.push(immutable('metadata.name', meta.name ?? ''));
    if (!same(meta.namespace, old.namespace)) errs.push(immutable('metadata.namespace', meta.namespace ?? ''));
    if (!same(meta.uid, old.uid)) errs.push(immutable('metadata.uid', meta.uid ?? ''));
    if (!same(meta.creationTimestamp, old.creationTimestamp)) {
      errs.push(immutable('metadata.creationTimestamp', meta.creationTimestamp ?? ''));
    }
    if (typeof meta.generation === 'number' && typeof old.generation === 'number' && meta.generation < old.generation) {
      errs.push(invalidValue('metadata.generation', meta.generation, 'must not be decremented'));
    }
  }
  return errs;
}

/** The 16 bytes of an IPv6 address (or the 4 of an IPv4 one), for classifying it; undefined when not an IP. */
function ipBytes(ip: string): number[] | undefined {
  if (!isIPAddress(ip)) return undefined;
  if (!ip.includes(':')) return ip.split('.').map(Number);
  let body = ip;
  let tail: number[] = [];
  const lastColon = ip.lastIndexOf(':');
  if (ip.slice(lastColon + 1).includes('.')) {
    // An embedded IPv4 address ("::ffff:10.0.0.1") stands for the last two groups.
    tail = ip.slice(lastColon + 1).split('.').map(Number);
    body = ip.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const [head = '', rest = ''] = body.split('::');
  const groups = (s: string) => s.split(':').filter((g) => g !== '').map((g) => parseInt(g, 16));
  const h = groups(head);
  const r = body.includes('::') ? groups(rest) : [];
  const zeros = 8 - h.length - r.length - tail.length / 2;
  return [...h, ...Array<number>(zeros).fill(0), ...r].flatMap((g) => [g >> 8, g & 0xff]).concat(tail);
}

/**
 * Kubernetes' ValidateNonSpecialIP: endpoint addresses must be routable to a pod, so the
 * unspecified, loopback and link-local ranges are refused (IPv4-mapped IPv6 as IPv4).
 */
export function nonSpecialIPErrors(field: string, ip: string): FieldError[] {
  let b = ipBytes(ip);
  if (!b) return [invalidValue(field, ip, 'must be a valid IP address')];
  if (b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) b = b.slice(12);
  const errs: FieldError[] = [];
  if (b.every((x) => x === 0)) errs.push(invalidValue(field, ip, `may not be unspecified (${ip})`));
  const v4 = b.length === 4;
  const loopback = v4 ? b[0] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
  if (loopback) errs.push(invalidValue(field, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  const linkLocal = v4 ? b[0] === 169 && b[1] === 254 : b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
  if (linkLocal) errs.push(invalidValue(field, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  const linkLocalMulticast = v4 ? b[0] === 224 && b[1] === 0 && b[2] === 0 : b[0] === 0xff && (b[1]! & 0x0f) === 0x02;
  if (linkLocalMulticast) errs.push(invalidValue(field, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}
