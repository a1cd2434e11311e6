/**
 * What the mirrored EndpointSlices of one Endpoints object should become, as a pure function of
 * the Endpoints and the slices this controller already keeps for it (kube's
 * pkg/controller/endpointslicemirroring reconciler). The result is a plan of creates, updates
 * and deletes, plus what was left out, for the controller's warnings.
 *
 * The subsets are first put in canonical form (repacked), then each becomes one slice per
 * address type: its ready addresses ready, its not-ready ones not, its ports as they are, at
 * most maxEndpointsPerSubset addresses (ready first); addresses that are not IPs are left out.
 * Subsets with the same ports share a slice. A port set and address type keeps the first of
 * its existing slices, rewritten only when its endpoints, labels or annotations differ; any
 * others go. Slices carry the Endpoints' labels and annotations and are owned by it.
 */
import { isIPAddress } from '../../api/validation.js';
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { managedByLabel, serviceNameLabel, type AddressType } from '../../api/kinds/endpointslices.js';
import { deepEqual } from '../../api/kinds/common.js';
import { isIPv6 } from '../endpoint/pod-endpoints.js';
import { normalizeSubsets, repackSubsets, type EndpointAddress, type EndpointPort } from '../endpoint/subsets.js';
import { EndpointSet, endpointsEqualBeyondKey, endpointsOf, portMapKey, recycleSlices, withoutKeys, type SliceChanges, type SliceEndpoint, type SlicePort } from '../endpointslice/slice-utils.js';

/** The managed-by value of the slices this controller keeps. */
export const controllerName = 'endpointslicemirroring-controller.k8s.io';
/** Endpoints labelled so are not mirrored (their slices are kept by whoever set it). */
export const skipMirrorLabel = 'endpointslice.kubernetes.io/skip-mirror';
/** Marks the Endpoints objects old components used as leader-election locks: never mirrored. */
export const leaderElectionAnnotation = 'control-plane.alpha.kubernetes.io/leader';
/** kubectl apply's memory of the last applied object: not copied to slices. */
export const lastAppliedConfigAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
/** The Endpoints controller's trigger time: not copied to slices. */
export const endpointsTriggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';
/** --mirroring-max-endpoints-per-subset's default. */
export const defaultMaxEndpointsPerSubset = 1000;

const reservedLabels: ReadonlySet<string> = new Set([serviceNameLabel, managedByLabel]);
const uncopiedAnnotations: ReadonlySet<string> = new Set([lastAppliedConfigAnnotation, endpointsTriggerTimeAnnotation]);

export interface MirrorInput {
  endpoints: KubeObject;
  /** The slices labelled as this Endpoints' Service's and managed by this controller. */
  existing: readonly KubeObject[];
  maxEndpointsPerSubset: number;
}

export interface MirrorPlan extends SliceChanges {
  /** Addresses left out because they are not IP addresses. */
  invalidAddresses: number;
  /** Addresses left out in all: invalid ones and those past maxEndpointsPerSubset. */
  skippedAddresses: number;
}

/** Whether an Endpoints object is one to mirror at all: not opted out, not a leader-election lock. */
export function shouldMirror(endpoints: KubeObject): boolean {
  if (endpoints.metadata.labels?.[skipMirrorLabel] === 'true') return false;
  return !(endpoints.metadata.annotations && leaderElectionAnnotation in endpoints.metadata.annotations);
}

/** The address type of an Endpoints address; undefined when it is not an IP. */
function addressTypeOf(ip: string): AddressType | undefined {
  if (!isIPAddress(ip)) return undefined;
  return isIPv6(ip) ? 'IPv6' : 'IPv4';
}

function toSlicePorts(ports: readonly EndpointPort[] | undefined): SlicePort[] {
  return (ports ?? []).map((p) => {
    const out: SlicePort = { name: p.name ?? '', port: p.port, protocol: p.protocol };
    if (p.appProtocol) out.appProtocol = p.appProtocol;
    return out;
  });
}

/** kube's addressToEndpoint: the address with its readiness, target, node and hostname. */
function addressToEndpoint(a: EndpointAddress, ready: boolean): SliceEndpoint {
  const ep: SliceEndpoint = { addresses: [a.ip], conditions: { ready } };
  if (a.hostname) ep.hostname = a.hostname;
  if (a.targetRef) ep.targetRef = a.targetRef;
  if (a.nodeName) ep.nodeName = a.nodeName;
  return ep;
}

const groupKey = (addressType: string, ports: unknown) => `${addressType}|${portMapKey(ports)}`;

/** The labels a mirrored slice carries: the Endpoints' (but the reserved ones), its Service's name and the manager. */
function mirroredLabels(endpoints: KubeObject): Record<string, string> {
  return { ...withoutKeys(endpoints.metadata.labels, reservedLabels), [serviceNameLabel]: endpoints.metadata.name ?? '', [managedByLabel]: controllerName };
}

/** The annotations a mirrored slice carries: the Endpoints' but kubectl's last-applied and the trigger time. */
function mirroredAnnotations(endpoints: KubeObject): Record<string, string> {
  return withoutKeys(endpoints.metadata.annotations, uncopiedAnnotations);
}

/** A slice for these ports and address type, replacing `existing` when given (kube's newEndpointSlice). */
function mirroredSlice(endpoints: KubeObject, ports: SlicePort[], addressType: AddressType, existing: KubeObject | undefined): KubeObject {
  const owner: OwnerReference = { apiVersion: 'v1', kind: 'Endpoints', name: endpoints.metadata.name!, uid: endpoints.metadata.uid!, controller: true, blockOwnerDeletion: true };
  const own = { labels: mirroredLabels(endpoints), annotations: mirroredAnnotations(endpoints), ownerReferences: [owner] };
  const metadata = existing
    ? { ...existing.metadata, ...own }
    : { generateName: `${endpoints.metadata.name}-`, namespace: endpoints.metadata.namespace, ...own };
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata, addressType, endpoints: [], ports };
}

/** Whether a slice already says what `desired` holds, with the Endpoints' labels and annotations (kube's early return). */
function upToDate(slice: KubeObject, desired: EndpointSet, endpoints: KubeObject): boolean {
  let matched = 0;
  for (const ep of endpointsOf(slice)) {
    const want = desired.get(ep);
    if (!want || !endpointsEqualBeyondKey(want, ep)) return false;
    matched++;
  }
  return (
    matched === desired.size &&
    deepEqual(withoutKeys(slice.metadata.labels, reservedLabels), withoutKeys(endpoints.metadata.labels, reservedLabels)) &&
    deepEqual(withoutKeys(slice.metadata.annotations, new Set()), mirroredAnnotations(endpoints))
  );
}

/** Creates, updates and deletes that make the mirrored slices say what the Endpoints says. */
export function planMirroredSlices(input: MirrorInput): MirrorPlan {
  const { endpoints, maxEndpointsPerSubset: max } = input;
  const desired = new Map<string, { addressType: AddressType; ports: SlicePort[]; endpoints: EndpointSet }>();
  let invalidAddresses = 0;
  let skippedAddresses = 0;

  for (const subset of repackSubsets(normalizeSubsets(endpoints.subsets))) {
    const ports = toSlicePorts(subset.ports);
    const groups = new Map<AddressType, EndpointSet>();
    for (const addressType of ['IPv4', 'IPv6'] as const) {
      const key = groupKey(addressType, ports);
      let group = desired.get(key);
      if (!group) desired.set(key, (group = { addressType, ports, endpoints: new EndpointSet() }));
      groups.set(addressType, group.endpoints);
    }
    const all: [EndpointAddress, boolean][] = [...(subset.addresses ?? []).map((a) => [a, true] as [EndpointAddress, boolean]), ...(subset.notReadyAddresses ?? []).map((a) => [a, false] as [EndpointAddress, boolean])];
    let added = 0;
    for (const [address, ready] of all) {
      // One subset, one slice: what does not fit is left out (and reported), not spread.
      if (added >= max) break;
      const addressType = addressTypeOf(address.ip);
      if (!addressType) {
        invalidAddresses++;
        continue;
      }
      groups.get(addressType)!.insert(addressToEndpoint(address, ready));
      added++;
    }
    skippedAddresses += all.length - added;
  }

  const existingByKey = new Map<string, KubeObject[]>();
  for (const slice of [...input.existing].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    const key = groupKey(String(slice.addressType), slice.ports);
    existingByKey.set(key, [...(existingByKey.get(key) ?? []), slice]);
  }

  const changes: SliceChanges = { create: [], update: [], delete: [] };
  for (const [key, group] of [...desired].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const existing = existingByKey.get(key) ?? [];
    if (group.endpoints.size === 0) {
      changes.delete.push(...existing);
      continue;
    }
    const [first, ...rest] = existing;
    changes.delete.push(...rest);
    if (first && upToDate(first, group.endpoints, endpoints)) continue;
    const slice = mirroredSlice(endpoints, group.ports, group.addressType, first);
    slice.endpoints = group.endpoints.take(max);
    (first ? changes.update : changes.create).push(slice);
  }
  // Port sets and address types no longer wanted.
  for (const [key, slices] of existingByKey) if (!desired.has(key)) changes.delete.push(...slices);

  return { ...recycleSlices(changes, () => true), invalidAddresses, skippedAddresses };
}
