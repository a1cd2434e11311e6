/**
 * What both EndpointSlice controllers (the EndpointSlice controller and the EndpointSlice
 * mirroring controller) share, as Kubernetes shares k8s.io/endpointslice/util between them:
 * the shape of slice ports and endpoints, the keys that tell whether two port sets or two
 * endpoints are the same, the endpoint set a plan is filled from, and the recycling of a slice
 * to delete into one to create.
 */
import type { KubeObject } from '../../api/object.js';
import { isPlainObject } from '../../api/object.js';
import { deepEqual } from '../../api/kinds/common.js';

export interface SlicePort {
  name: string;
  protocol: string;
  port?: number;
  appProtocol?: string;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string; resourceVersion?: string; apiVersion?: string };
  nodeName?: string;
  zone?: string;
  [other: string]: unknown;
}

/** Creates, updates and deletes of EndpointSlices, as planned by either controller. */
export interface SliceChanges {
  /** New slices (generateName set, no name). */
  create: KubeObject[];
  /** Existing slices to replace (name and resourceVersion set). */
  update: KubeObject[];
  delete: KubeObject[];
}

// --- keys and comparisons -----------------------------------------------------------------------

function normalPort(p: unknown): SlicePort {
  const o = isPlainObject(p) ? p : {};
  const out: SlicePort = { name: typeof o.name === 'string' ? o.name : '', protocol: typeof o.protocol === 'string' ? o.protocol : 'TCP' };
  if (typeof o.port === 'number') out.port = o.port;
  if (typeof o.appProtocol === 'string') out.appProtocol = o.appProtocol;
  return out;
}

/** Identifies a set of ports whatever their order (kube's PortMapKey). */
export function portMapKey(ports: unknown): string {
  const list = Array.isArray(ports) ? ports.map(normalPort) : [];
  return JSON.stringify(list.map((p) => JSON.stringify([p.name, p.protocol, p.port ?? null, p.appProtocol ?? null])).sort());
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * Identifies an endpoint across syncs (kube's hashEndpoint): its addresses, hostname and the
 * pod it stands for. Conditions, node and zone may change in place.
 */
export function endpointKey(ep: unknown): string {
  const o = isPlainObject(ep) ? ep : {};
  const addresses = Array.isArray(o.addresses) ? o.addresses.map(str).sort() : [];
  const ref = isPlainObject(o.targetRef) ? o.targetRef : {};
  return JSON.stringify([addresses, str(o.hostname), str(ref.namespace), str(ref.name)]);
}

function optBool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

/** kube's EndpointsEqualBeyondHash: node, zone, conditions and target (but its resourceVersion) agree. */
export function endpointsEqualBeyondKey(a: SliceEndpoint, b: unknown): boolean {
  const o = isPlainObject(b) ? b : {};
  const c = isPlainObject(o.conditions) ? o.conditions : {};
  if ((a.nodeName ?? undefined) !== (typeof o.nodeName === 'string' ? o.nodeName : undefined)) return false;
  if ((a.zone ?? undefined) !== (typeof o.zone === 'string' ? o.zone : undefined)) return false;
  if (a.conditions.ready !== optBool(c.ready) || a.conditions.serving !== optBool(c.serving) || a.conditions.terminating !== optBool(c.terminating)) return false;
  const strip = (r: unknown) => {
    if (!isPlainObject(r)) return null;
    const { resourceVersion: _rv, ...rest } = r as Record<string, unknown>;
    return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== ''));
  };
  return deepEqual(strip(a.targetRef), strip(o.targetRef));
}

/** A copy of a string map without the given keys (kube's cloneAndRemoveKeys); non-strings dropped. */
export function withoutKeys(map: unknown, keys: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isPlainObject(map)) return out;
  for (const [k, v] of Object.entries(map)) if (!keys.has(k) && typeof v === 'string') out[k] = v;
  return out;
}

export function endpointsOf(slice: KubeObject): unknown[] {
  return Array.isArray(slice.endpoints) ? slice.endpoints : [];
}

// --- the endpoint set ---------------------------------------------------------------------------

/** Insertion-ordered set of endpoints by endpointKey, popped in a fixed (address) order. */
export class EndpointSet {
  private readonly items = new Map<string, SliceEndpoint>();
  /** Adds the endpoint, replacing one with the same key. */
  insert(ep: SliceEndpoint): void {
    this.items.set(endpointKey(ep), ep);
  }
  /** The member with the same key as `ep`, if any. */
  get(ep: unknown): SliceEndpoint | undefined {
    return this.items.get(endpointKey(ep));
  }
  /** Removes the member with the same key as `ep`. */
  delete(ep: unknown): void {
    this.items.delete(endpointKey(ep));
  }
  /** How many endpoints the set holds. */
  get size(): number {
    return this.items.size;
  }
  /** Removes and returns up to n endpoints, lowest key first, so the layout is reproducible. */
  take(n: number): SliceEndpoint[] {
    const keys = [...this.items.keys()].sort().slice(0, Math.max(0, n));
    return keys.map((k) => {
      const ep = this.items.get(k)!;
      this.items.delete(k);
      return ep;
    });
  }
}

// --- recycling ----------------------------------------------------------------------------------

/**
 * The planning half of kube's finalize (recycleSlices): a slice to create and one to delete that
 * `canReuse` pairs (at least: of the same address type) become an update of the latter, which
 * keeps its name, uid and resourceVersion; this saves a create and a delete.
 */
export function recycleSlices(changes: SliceChanges, canReuse: (victim: KubeObject, slice: KubeObject) => boolean): SliceChanges {
  const create = [...changes.create];
  const update = [...changes.update];
  const del = [...changes.delete];
  for (let i = 0; i < del.length && create.length > 0; ) {
    const victim = del[i]!;
    const slice = create[create.length - 1]!;
    if (victim.addressType === slice.addressType && canReuse(victim, slice)) {
      const { generateName: _g, ...meta } = slice.metadata;
      slice.metadata = { ...victim.metadata, ...meta, name: victim.metadata.name };
      create.pop();
      update.push(slice);
      del.splice(i, 1);
    } else {
      i++;
    }
  }
  return { create, update, delete: del };
}
