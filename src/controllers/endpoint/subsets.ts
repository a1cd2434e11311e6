/**
 * What the Endpoints of a Service should say, as pure functions of the Service and its pods:
 * the address each pod contributes (`podEndpointAddress`; which pods count and on which ports
 * is pod-endpoints.ts's, shared with the EndpointSlice controller), and the canonical subset
 * layout Kubernetes' endpoints controller writes (`repackSubsets`, pkg/api/v1/endpoints),
 * truncated at 1000 addresses.
 */
import type { KubeObject } from '../../api/object.js';
import { isPlainObject } from '../../api/object.js';
import { deepEqual } from '../../api/kinds/common.js';
import { isPodReady } from '../replicaset/pod-utils.js';
import { findPort, isIPv6, podIPs, shouldPodBeInEndpoints, shouldSetHostname, type ServicePort } from './pod-endpoints.js';

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** The most addresses (ready and not) one Endpoints object carries (kube's maxCapacity). */
export const maxEndpointsCapacity = 1000;

/**
 * The pod's address in the Service's IP family (the Service's first ipFamily; for a Service
 * without families, its cluster IP's, or for a headless one the pod's primary IP's).
 * Undefined when the pod has no IP of that family.
 */
export function podEndpointAddress(svc: KubeObject, pod: KubeObject): EndpointAddress | undefined {
  const ips = podIPs(pod);
  const spec = svc.spec ?? {};
  let v6: boolean;
  if (Array.isArray(spec.ipFamilies) && spec.ipFamilies.length > 0) v6 = spec.ipFamilies[0] === 'IPv6';
  else if (typeof spec.clusterIP === 'string' && spec.clusterIP && spec.clusterIP !== 'None') v6 = isIPv6(spec.clusterIP);
  else v6 = isIPv6(ips[0] ?? '');
  const ip = ips.find((a) => isIPv6(a) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip };
  // Only pods of this Service's subdomain get a DNS name under it.
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec.hostname;
  if (typeof pod.spec?.nodeName === 'string' && pod.spec.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
  return addr;
}

function endpointPort(svcPort: ServicePort, port: number): EndpointPort {
  const p: EndpointPort = { port, protocol: svcPort.protocol ?? 'TCP' };
  // Field order as the API writes it: name, port, protocol, appProtocol.
  const out: EndpointPort = svcPort.name ? { name: svcPort.name, ...p } : p;
  if (svcPort.appProtocol) out.appProtocol = svcPort.appProtocol;
  return out;
}

export interface DesiredSubsets {
  subsets: EndpointSubset[];
  ready: number;
  notReady: number;
}

/**
 * The repacked subsets for a Service and the pods its selector picked: each eligible pod's
 * address once per service port it serves, ready or not (all ready with
 * publishNotReadyAddresses). A headless Service without ports lists bare addresses.
 */
export function desiredSubsets(svc: KubeObject, pods: readonly KubeObject[]): DesiredSubsets {
  const spec = svc.spec ?? {};
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const ports: ServicePort[] = Array.isArray(spec.ports) ? spec.ports : [];
  const raw: EndpointSubset[] = [];
  let ready = 0;
  let notReady = 0;
  const add = (addr: EndpointAddress, isReady: boolean, port?: EndpointPort) => {
    const subset: EndpointSubset = isReady ? { addresses: [addr] } : { notReadyAddresses: [addr] };
    if (port) subset.ports = [port];
    raw.push(subset);
    if (isReady) ready++;
    else notReady++;
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr = podEndpointAddress(svc, pod);
    if (!addr) continue;
    const isReady = publishNotReady || isPodReady(pod);
    if (ports.length === 0) {
      if (spec.clusterIP === 'None') add(addr, isReady);
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      add(addr, isReady, endpointPort(sp, port));
    }
  }
  return { subsets: repackSubsets(raw), ready, notReady };
}

// --- the canonical layout ---------------------------------------------------------------------

function addressKey(a: EndpointAddress): string {
  return `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
}

function portKey(p: EndpointPort | undefined): string {
  return p ? JSON.stringify([p.name ?? '', p.port, p.protocol, p.appProtocol ?? '']) : '';
}

/** Kube's LessEndpointAddress: by IP (bytewise), then target uid, an address without target first. */
export function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid;
  const ub = b.targetRef?.uid;
  if (ua === ub) return 0;
  if (ua === undefined) return -1;
  if (ub === undefined) return 1;
  return ua < ub ? -1 : 1;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  const ka = portKey(a);
  const kb = portKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Kubernetes' RepackSubsets: expands subsets to (address, port, ready) triples and packs them
 * again so that the addresses offering exactly the same ports with the same readiness share
 * one subset. Addresses are de-duplicated by IP and target uid; an address not ready on a
 * port in any input is not ready on it. The result is sorted (addresses by IP, then uid), so
 * equal endpoint sets always compare equal.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const addrs = new Map<string, EndpointAddress>();
  // Per port (undefined: a port-less subset), each address key and whether it is ready.
  const byPort = new Map<string, { port?: EndpointPort; ready: Map<string, boolean> }>();
  const note = (addr: EndpointAddress, port: EndpointPort | undefined, ready: boolean) => {
    const ak = addressKey(addr);
    if (!addrs.has(ak)) addrs.set(ak, addr);
    const pk = portKey(port);
    let entry = byPort.get(pk);
    if (!entry) byPort.set(pk, (entry = { port, ready: new Map() }));
    // Not ready wins over ready.
    if (entry.ready.get(ak) !== false) entry.ready.set(ak, ready);
  };
  for (const s of subsets) {
    const ports: (EndpointPort | undefined)[] = s.ports?.length ? s.ports : [undefined];
    for (const p of ports) {
      for (const a of s.addresses ?? []) note(a, p, true);
      for (const a of s.notReadyAddresses ?? []) note(a, p, false);
    }
  }

  // Group the ports by the exact set of (address, readiness) they are offered on.
  const groups = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of byPort.values()) {
    const key = [...ready.entries()].map(([k, r]) => `${k}\u0000${r ? 1 : 0}`).sort().join('\u0001');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ready, ports: [] }));
    if (port) g.ports.push(port);
  }

  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const readyAddrs: EndpointAddress[] = [];
    const notReadyAddrs: EndpointAddress[] = [];
    for (const [k, r] of g.ready) (r ? readyAddrs : notReadyAddrs).push(addrs.get(k)!);
    const subset: EndpointSubset = {};
    if (readyAddrs.length) subset.addresses = readyAddrs.sort(compareAddresses);
    if (notReadyAddrs.length) subset.notReadyAddresses = notReadyAddrs.sort(compareAddresses);
    if (g.ports.length) subset.ports = g.ports.sort(comparePorts);
    out.push(subset);
  }
  // Kubernetes orders subsets by a hash of their contents; any fixed order serves, so this
  // one is readable: by first address, then ports.
  return out.sort((a, b) => {
    const fa = a.addresses?.[0] ?? a.notReadyAddresses?.[0];
    const fb = b.addresses?.[0] ?? b.notReadyAddresses?.[0];
    const c = fa && fb ? compareAddresses(fa, fb) : 0;
    if (c !== 0) return c;
    const ka = JSON.stringify(a);
    const kb = JSON.stringify(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/**
 * Kubernetes' truncateEndpoints: keeps at most `max` addresses, ready ones first, sharing the
 * room among subsets in proportion to their size (rounded up, so the last may get less).
 * Returns the subsets unchanged, and truncated=false, when they fit.
 */
export function truncateSubsets(subsets: readonly EndpointSubset[], max = maxEndpointsCapacity): { subsets: EndpointSubset[]; truncated: boolean } {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= max) return { subsets: [...subsets], truncated: false };
  // Too many ready addresses: share the room among them and drop every not-ready one;
  // otherwise keep every ready address and share what is left among the not-ready ones.
  const truncateReady = totalReady > max;
  const room = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let left = room;
  const out = subsets.map((s) => {
    const pool = (truncateReady ? s.addresses : s.notReadyAddresses) ?? [];
    const share = Math.min(Math.ceil((pool.length / total) * room), left);
    const kept = pool.slice(0, share);
    left -= kept.length;
    const next: EndpointSubset = {};
    if (truncateReady) {
      if (kept.length) next.addresses = kept;
    } else {
      if (s.addresses?.length) next.addresses = s.addresses;
      if (kept.length) next.notReadyAddresses = kept;
    }
    if (s.ports) next.ports = s.ports;
    return next;
  });
  // Kubernetes leaves a subset emptied of addresses in place; it says nothing, so it goes.
  return { subsets: out.filter((s) => s.addresses || s.notReadyAddresses), truncated: true };
}

// --- comparison --------------------------------------------------------------------------------

function normalAddress(a: unknown): EndpointAddress {
  const o = isPlainObject(a) ? a : {};
  const out: EndpointAddress = { ip: typeof o.ip === 'string' ? o.ip : '' };
  if (typeof o.hostname === 'string' && o.hostname) out.hostname = o.hostname;
  if (typeof o.nodeName === 'string' && o.nodeName) out.nodeName = o.nodeName;
  if (isPlainObject(o.targetRef)) {
    // A pod's resourceVersion in a reference is not worth a write (kube ignores it too).
    const { resourceVersion: _rv, ...ref } = o.targetRef as ObjectReference;
    out.targetRef = ref;
  }
  return out;
}

function normalPort(p: unknown): EndpointPort {
  const o = isPlainObject(p) ? p : {};
  const out: EndpointPort = { port: typeof o.port === 'number' ? o.port : 0, protocol: typeof o.protocol === 'string' && o.protocol ? o.protocol : 'TCP' };
  if (typeof o.name === 'string' && o.name) out.name = o.name;
  if (typeof o.appProtocol === 'string' && o.appProtocol) out.appProtocol = o.appProtocol;
  return out;
}

/** Subsets read from an object, with empty lists and fields dropped, for comparison. */
export function normalizeSubsets(subsets: unknown): EndpointSubset[] {
  if (!Array.isArray(subsets)) return [];
  return subsets.map((s) => {
    const o = isPlainObject(s) ? s : {};
    const out: EndpointSubset = {};
    const arr = (v: unknown) => (Array.isArray(v) ? v : []);
    const addresses = arr(o.addresses).map(normalAddress);
    const notReady = arr(o.notReadyAddresses).map(normalAddress);
    const ports = arr(o.ports).map(normalPort);
    if (addresses.length) out.addresses = addresses;
    if (notReady.length) out.notReadyAddresses = notReady;
    if (ports.length) out.ports = ports;
    return out;
  });
}

/** Whether two subset lists say the same, ignoring empty fields and target resourceVersions. */
export function subsetsEqual(a: unknown, b: unknown): boolean {
  return deepEqual(normalizeSubsets(a), normalizeSubsets(b));
}
