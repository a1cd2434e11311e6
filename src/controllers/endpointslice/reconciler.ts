/**
 * What the EndpointSlices of one Service should become, as a pure function of the Service, its
 * pods, the nodes they run on and the slices that exist (k8s.io/endpointslice's Reconciler).
 * The result is a plan of creates, updates and deletes; the controller carries it out.
 *
 * Slices are grouped by address type (the Service's IP families) and then by the exact set of
 * ports the pods offer (pods resolving a named targetPort differently land in different
 * slices). Within a group, existing slices keep the endpoints still wanted and are updated
 * in place; new endpoints first fill slices already being updated, then one unchanged slice
 * they fit in whole, and only then new slices, so that a pod change costs one slice write.
 * A Service with no endpoints at all keeps one empty "placeholder" slice.
 */
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { clone } from '../../api/object.js';
import { deepEqual } from '../../api/kinds/common.js';
import { managedByLabel, serviceNameLabel, type AddressType } from '../../api/kinds/endpointslices.js';
import { isPodReady } from '../replicaset/pod-utils.js';
import { findPort, headlessServiceLabel, isIPv6, isServiceIPSet, podIPs, shouldPodBeInEndpoints, shouldSetHostname, type ServicePort } from '../endpoint/pod-endpoints.js';
import { EndpointSet, endpointsEqualBeyondKey, endpointsOf, portMapKey, recycleSlices, str, withoutKeys, type SliceChanges, type SliceEndpoint, type SlicePort } from './slice-utils.js';

/** The node label an endpoint's zone is read from. */
export const zoneLabel = 'topology.kubernetes.io/zone';

/** What the reconciler needs to know of a node. */
export type NodeLookup = (name: string) => KubeObject | undefined;

export interface ReconcileInput {
  service: KubeObject;
  /** The pods the Service's selector picks. */
  pods: readonly KubeObject[];
  /** The slices labelled as this Service's and managed by this controller, not being deleted. */
  existing: readonly KubeObject[];
  node: NodeLookup;
  maxEndpointsPerSlice: number;
  /** The managed-by label value. */
  controllerName: string;
}

export interface SlicePlan extends SliceChanges {
  /** Pods left out because their node is not known (yet): the sync should be retried. */
  podsOnMissingNodes: string[];
}

const reservedLabels = new Set([serviceNameLabel, managedByLabel, headlessServiceLabel]);

function withoutReserved(labels: unknown): Record<string, string> {
  return withoutKeys(labels, reservedLabels);
}

/**
 * The labels a slice of this Service carries (its own labels but the reserved ones, the
 * headless label, the Service name and the manager), and whether the slice's non-reserved
 * labels differ from the Service's (kube's setEndpointSliceLabels).
 */
export function sliceLabels(slice: KubeObject | undefined, svc: KubeObject, controllerName: string): { labels: Record<string, string>; changed: boolean } {
  const svcLabels = withoutReserved(svc.metadata.labels);
  const changed = slice !== undefined && !deepEqual(withoutReserved(slice.metadata.labels), svcLabels);
  const labels = { ...svcLabels };
  if (!isServiceIPSet(svc)) labels[headlessServiceLabel] = '';
  labels[serviceNameLabel] = svc.metadata.name ?? '';
  labels[managedByLabel] = controllerName;
  return { labels, changed };
}

/** Whether the slice names this Service (by uid) as an owner. */
export function ownedBy(slice: KubeObject, svc: KubeObject): boolean {
  return (slice.metadata.ownerReferences ?? []).some((o) => o.uid === svc.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

/**
 * The address types a Service's slices carry (kube's getAddressTypesForService): its IP
 * families; for a Service without any, its cluster IP's family, or both for a headless one.
 */
export function addressTypesFor(svc: KubeObject): AddressType[] {
  const families: unknown[] = Array.isArray(svc.spec?.ipFamilies) ? svc.spec.ipFamilies : [];
  const types = new Set<AddressType>();
  for (const f of families) {
    if (f === 'IPv4') types.add('IPv4');
    if (f === 'IPv6') types.add('IPv6');
  }
  if (types.size) return [...types];
  if (isServiceIPSet(svc)) return [isIPv6(svc.spec.clusterIP) ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

// --- desired state ------------------------------------------------------------------------------

/** The ports of the Service a pod serves, resolved on it (kube's getEndpointPorts). */
export function endpointPorts(svc: KubeObject, pod: KubeObject): SlicePort[] {
  const ports: ServicePort[] = Array.isArray(svc.spec?.ports) ? svc.spec.ports : [];
  const out: SlicePort[] = [];
  for (const sp of ports) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: SlicePort = { name: sp.name ?? '', protocol: sp.protocol ?? 'TCP', port };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** The endpoint a pod is in one address type (kube's podToEndpoint); its addresses may be empty. */
export function podToEndpoint(pod: KubeObject, node: KubeObject | undefined, svc: KubeObject, addressType: AddressType): SliceEndpoint {
  const serving = isPodReady(pod);
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  // A terminating pod is never ready, unless the Service publishes not-ready addresses.
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: SliceEndpoint = {
    addresses: podIPs(pod).filter((ip) => isIPv6(ip) === (addressType === 'IPv6')),
    conditions: { ready, serving, terminating },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec.hostname;
  ep.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
  if (typeof pod.spec?.nodeName === 'string' && pod.spec.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata.labels?.[zoneLabel];
  if (zone) ep.zone = zone;
  return ep;
}

function newSlice(svc: KubeObject, addressType: AddressType, ports: SlicePort[], controllerName: string): KubeObject {
  const owner: OwnerReference = { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true };
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(undefined, svc, controllerName).labels,
      ownerReferences: [owner],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

/** kube's placeholderSliceCompare: same namespace, labels, owners and (empty) contents. */
function samePlaceholder(existing: KubeObject, placeholder: KubeObject): boolean {
  const empty = (v: unknown) => (Array.isArray(v) && v.length > 0 ? v : []);
  return (
    existing.metadata.namespace === placeholder.metadata.namespace &&
    deepEqual(existing.metadata.labels ?? {}, placeholder.metadata.labels ?? {}) &&
    deepEqual(existing.metadata.ownerReferences ?? [], placeholder.metadata.ownerReferences ?? []) &&
    existing.addressType === placeholder.addressType &&
    deepEqual(empty(existing.endpoints), empty(placeholder.endpoints)) &&
    deepEqual(empty(existing.ports), empty(placeholder.ports))
  );
}

// --- the plan -----------------------------------------------------------------------------------

/** Creates, updates and deletes that bring a Service's slices in line with its pods. */
export function reconcileSlices(input: ReconcileInput): SlicePlan {
  const { service } = input;
  const types = addressTypesFor(service);
  const plan: SlicePlan = { create: [], update: [], delete: [], podsOnMissingNodes: [] };
  const byType = new Map<string, KubeObject[]>();
  for (const slice of input.existing) {
    const t = str(slice.addressType);
    // Slices of a family the Service no longer has go.
    if (!types.includes(t as AddressType)) plan.delete.push(slice);
    else byType.set(t, [...(byType.get(t) ?? []), slice]);
  }
  const missing = new Set<string>();
  for (const t of types) {
    const part = reconcileAddressType(input, t, byType.get(t) ?? [], missing);
    plan.create.push(...part.create);
    plan.update.push(...part.update);
    plan.delete.push(...part.delete);
  }
  plan.podsOnMissingNodes = [...missing].sort();
  return finalizePlan(service, plan);
}

function reconcileAddressType(input: ReconcileInput, addressType: AddressType, existing: KubeObject[], missingNodes: Set<string>): Omit<SlicePlan, 'podsOnMissingNodes'> {
  const { service: svc, maxEndpointsPerSlice: max, controllerName } = input;
  const toCreate: KubeObject[] = [];
  const toUpdate: KubeObject[] = [];
  const toDelete: KubeObject[] = [];

  const existingByPorts = new Map<string, KubeObject[]>();
  for (const slice of existing) {
    if (!ownedBy(slice, svc)) {
      // Labelled as this Service's but owned by another (a deleted namesake): not ours to keep.
      toDelete.push(slice);
      continue;
    }
    const key = portMapKey(slice.ports);
    existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), slice]);
  }

  const desired = new Map<string, { ports: SlicePort[]; endpoints: EndpointSet }>();
  const headlessWithoutPorts = svc.spec?.clusterIP === 'None' && !(Array.isArray(svc.spec?.ports) && svc.spec.ports.length);
  for (const pod of input.pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = headlessWithoutPorts ? [] : endpointPorts(svc, pod);
    const key = portMapKey(ports);
    let group = desired.get(key);
    if (!group) desired.set(key, (group = { ports, endpoints: new EndpointSet() }));
    const nodeName = str(pod.spec?.nodeName);
    const node = nodeName ? input.node(nodeName) : undefined;
    if (!node && svc.spec?.publishNotReadyAddresses !== true) {
      // kube leaves the pod out and retries, so a pod on a vanished node cannot wedge the slice.
      missingNodes.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
      continue;
    }
    const ep = podToEndpoint(pod, node, svc, addressType);
    if (ep.addresses.length) group.endpoints.insert(ep);
  }

  for (const [key, group] of desired) {
    const part = reconcilePortGroup(svc, existingByPorts.get(key) ?? [], group.endpoints, { addressType, ports: group.ports }, max, controllerName);
    toCreate.push(...part.create);
    toUpdate.push(...part.update);
    toDelete.push(...part.delete);
  }
  for (const [key, slices] of existingByPorts) if (!desired.has(key)) toDelete.push(...slices);

  // A Service with no endpoints still gets one (empty) slice, so consumers can tell "none" from "not yet".
  if (existing.length === toDelete.length && toCreate.length === 0) {
    const placeholder = newSlice(svc, addressType, [], controllerName);
    if (toDelete.length === 1 && samePlaceholder(toDelete[0]!, placeholder)) toDelete.length = 0;
    else toCreate.push(placeholder);
  }
  return { create: toCreate, update: toUpdate, delete: toDelete };
}

/** kube's reconcileByPortMapping, for the slices and endpoints of one port set. */
function reconcilePortGroup(
  svc: KubeObject,
  existing: KubeObject[],
  desired: EndpointSet,
  meta: { addressType: AddressType; ports: SlicePort[] },
  max: number,
  controllerName: string,
): Omit<SlicePlan, 'podsOnMissingNodes'> {
  const byName = new Map<string, KubeObject>();
  const unchanged: string[] = [];
  const toUpdate: string[] = [];
  const toDelete: string[] = [];

  // 1. Keep the endpoints still wanted (in their latest form); drop the rest.
  for (const slice of existing) {
    const name = slice.metadata.name!;
    byName.set(name, slice);
    const kept: SliceEndpoint[] = [];
    let endpointChanged = false;
    for (const ep of endpointsOf(slice)) {
      const want = desired.get(ep);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqualBeyondKey(want, ep)) endpointChanged = true;
      desired.delete(ep);
    }
    const { labels, changed: labelsChanged } = sliceLabels(slice, svc, controllerName);
    if (endpointChanged || kept.length !== endpointsOf(slice).length) {
      if (kept.length === 0) {
        toDelete.push(name);
      } else {
        const next = clone(slice);
        next.endpoints = kept;
        next.metadata.labels = labels;
        byName.set(name, next);
        toUpdate.push(name);
      }
    } else if (labelsChanged) {
      const next = clone(slice);
      next.metadata.labels = labels;
      byName.set(name, next);
      toUpdate.push(name);
    } else {
      unchanged.push(name);
    }
  }

  // 2. Fill the slices being written anyway, fullest first.
  if (desired.size > 0 && toUpdate.length > 0) {
    const slices = toUpdate.map((n) => byName.get(n)!).sort((a, b) => endpointsOf(b).length - endpointsOf(a).length);
    for (const slice of slices) slice.endpoints = [...endpointsOf(slice), ...desired.take(max - endpointsOf(slice).length)];
  }

  // 3. The rest go into one unchanged slice they fit in whole, else into new slices.
  const toCreate: KubeObject[] = [];
  while (desired.size > 0) {
    let fill: KubeObject | undefined;
    if (desired.size < max && unchanged.length > 0) {
      const name = sliceToFill(unchanged.map((n) => byName.get(n)!), desired.size, max);
      if (name) {
        fill = clone(byName.get(name)!);
        byName.set(name, fill);
      }
    }
    fill ??= newSlice(svc, meta.addressType, meta.ports, controllerName);
    fill.endpoints = [...endpointsOf(fill), ...desired.take(max - endpointsOf(fill).length)];
    if (fill.metadata.name) {
      toUpdate.push(fill.metadata.name);
      unchanged.splice(unchanged.indexOf(fill.metadata.name), 1);
    } else {
      toCreate.push(fill);
    }
  }
  return { create: toCreate, update: toUpdate.map((n) => byName.get(n)!), delete: toDelete.map((n) => byName.get(n)!) };
}

/** The slice closest to full once `count` endpoints join it, if any has room for all (kube's getSliceToFill). */
function sliceToFill(slices: KubeObject[], count: number, max: number): string | undefined {
  let best: KubeObject | undefined;
  let bestRoom = max;
  for (const s of slices) {
    const room = max - (count + endpointsOf(s).length);
    if (room >= 0 && room < bestRoom) {
      best = s;
      bestRoom = room;
      if (room === 0) break;
    }
  }
  return best?.metadata.name;
}

/** kube's finalize, planning half: only slices the Service owns are recycled. */
function finalizePlan(svc: KubeObject, plan: SlicePlan): SlicePlan {
  return { ...recycleSlices(plan, (victim) => ownedBy(victim, svc)), podsOnMissingNodes: plan.podsOnMissingNodes };
}
