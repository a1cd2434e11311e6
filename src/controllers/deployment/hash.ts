/**
 * pod-template-hash: a short, stable name for a pod template. Kubernetes hashes the Go struct
 * dump with FNV-1a; we hash a canonical JSON form (sorted keys) the same way, then append the
 * collision count so that a name clash with a foreign ReplicaSet yields a different hash.
 */
import { isPlainObject } from '../../api/object.js';
import { podTemplateHashLabel, type PodTemplateSpec } from './types.js';

/** Letters and digits that cannot spell words (no vowels, no 0/1/3): rand.SafeEncodeString's. */
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

function fnv1a32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** JSON with object keys sorted at every level, dropping undefined and null members. */
export function canonicalJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJSON(x))).join(',')}]`;
  if (isPlainObject(v)) {
    const parts: string[] = [];
    for (const k of Object.keys(v).sort()) {
      const x = v[k];
      if (x === undefined || x === null) continue;
      parts.push(`${JSON.stringify(k)}:${canonicalJSON(x)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The hash of a pod template (its own pod-template-hash label ignored) and collision count,
 * as a string of up to 10 safe characters (Kubernetes encodes the decimal digits of the
 * 32-bit sum the same way, so hashes look alike: "5d9f8c7b6").
 */
export function computePodTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  const bytes = new TextEncoder().encode(canonicalJSON(withoutHashLabel(template)));
  let h = fnv1a32(bytes);
  if (collisionCount !== undefined && collisionCount !== null) {
    const cc = new Uint8Array(4);
    new DataView(cc.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv1a32(cc, h);
  }
  let out = '';
  for (const ch of String(h)) out += safeAlphabet[ch.charCodeAt(0) % safeAlphabet.length];
  return out;
}

/** A copy of the template without the pod-template-hash label (and without an emptied labels map). */
export function withoutHashLabel(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const t = (template ? JSON.parse(JSON.stringify(template)) : {}) as PodTemplateSpec;
  const labels = t.metadata?.labels;
  if (labels && podTemplateHashLabel in labels) {
    delete labels[podTemplateHashLabel];
    if (Object.keys(labels).length === 0) delete t.metadata!.labels;
  }
  return t;
}

/** Drops null members and empty maps/lists, which JSON writers may or may not emit. */
function semanticForm(v: unknown): unknown {
  if (Array.isArray(v)) {
    const a = v.map(semanticForm);
    return a.length === 0 ? undefined : a;
  }
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const s = semanticForm(x);
      if (s !== undefined) out[k] = s;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v === null ? undefined : v;
}

/**
 * Whether two pod templates are the same but for the pod-template-hash label: how a Deployment
 * recognises the ReplicaSet running its current template (Kubernetes' EqualIgnoreHash).
 */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJSON(semanticForm(withoutHashLabel(a)) ?? {}) === canonicalJSON(semanticForm(withoutHashLabel(b)) ?? {});
}
