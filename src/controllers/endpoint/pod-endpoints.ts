/**
 * What a pod contributes to the endpoints of a Service, shared by the Endpoints and the
 * EndpointSlice controllers as Kubernetes shares k8s.io/endpointslice/util between them:
 * whether the pod counts at all, its IPs, its DNS name, the port a Service port resolves to
 * on it, and which Services a pod change concerns.
 */
import type { KubeObject } from '../../api/object.js';
import { isPlainObject } from '../../api/object.js';
import { deepEqual } from '../../api/kinds/common.js';
import { matchesLabels, selectorFromMap, type Selector } from '../../api/labels.js';
import type { Informer } from '../../client/interfaces.js';
import { objectKey } from '../../client/interfaces.js';
import { isPodReady } from '../replicaset/pod-utils.js';

/** Label on the Endpoints and EndpointSlices of a Service without a cluster IP (headless). */
export const headlessServiceLabel = 'service.kubernetes.io/headless';

/** Whether the Service has a cluster IP (not headless: none, or "None"). */
export function isServiceIPSet(svc: KubeObject): boolean {
  const ip = svc.spec?.clusterIP;
  return typeof ip === 'string' && ip !== '' && ip !== 'None';
}

export interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
  targetPort?: number | string;
}

interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

function isTerminal(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The pod's IPs (status.podIPs, or the single status.podIP of an older writer), primary first. */
export function podIPs(pod: KubeObject): string[] {
  const ips = Array.isArray(pod.status?.podIPs) ? pod.status.podIPs.map((p: { ip?: unknown }) => p?.ip).filter((ip: unknown) => typeof ip === 'string' && ip) : [];
  if (ips.length === 0 && typeof pod.status?.podIP === 'string' && pod.status.podIP) return [pod.status.podIP];
  return ips;
}

export const isIPv6 = (ip: string): boolean => ip.includes(':');

/**
 * Whether a pod belongs in a Service's endpoints at all: it has an IP, has not finished, and
 * is not being deleted unless terminating pods are asked for (kube's ShouldPodBeInEndpoints;
 * the Endpoints controller asks for them only with publishNotReadyAddresses, the
 * EndpointSlice controller always, marking them terminating).
 */
export function shouldPodBeInEndpoints(pod: KubeObject, includeTerminating: boolean): boolean {
  if (isTerminal(pod)) return false;
  if (podIPs(pod).length === 0) return false;
  return includeTerminating || !pod.metadata.deletionTimestamp;
}

/** Whether the pod is published under the Service's DNS name: only pods of its subdomain (kube's ShouldSetHostname). */
export function shouldSetHostname(pod: KubeObject, svc: KubeObject): boolean {
  const hostname = pod.spec?.hostname;
  return typeof hostname === 'string' && hostname !== '' && pod.spec?.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

/**
 * The pod's port a Service port sends to: a numeric targetPort as is; a named one looked up by
 * name and protocol among the containers' ports, then the sidecars' (restartable init
 * containers). Undefined when the pod has no such named port.
 */
export function findPort(pod: KubeObject, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (typeof target !== 'string') return undefined;
  const protocol = svcPort.protocol ?? 'TCP';
  const lookIn = (containers: unknown, onlySidecars: boolean): number | undefined => {
    if (!Array.isArray(containers)) return undefined;
    for (const c of containers) {
      if (!isPlainObject(c) || (onlySidecars && c.restartPolicy !== 'Always')) continue;
      for (const p of (Array.isArray(c.ports) ? c.ports : []) as ContainerPort[]) {
        if (p?.name === target && (p.protocol ?? 'TCP') === protocol && typeof p.containerPort === 'number') return p.containerPort;
      }
    }
    return undefined;
  };
  return lookIn(pod.spec?.containers, false) ?? lookIn(pod.spec?.initContainers, true);
}

function podIPList(pod: KubeObject): string[] {
  const ips = Array.isArray(pod.status?.podIPs) ? pod.status.podIPs.map((p: { ip?: string }) => p?.ip ?? '') : [];
  return ips.length ? ips : pod.status?.podIP ? [pod.status.podIP] : [];
}

/**
 * Whether a pod update can change what it contributes to a Service's endpoints (kube's
 * podEndpointsChanged): deletion began, readiness, phase, IPs, or the hostname/subdomain it
 * is published under. Name, namespace, uid and node are fixed before a pod has an IP.
 */
export function podEndpointsChanged(old: KubeObject, cur: KubeObject): boolean {
  if (old.metadata.deletionTimestamp !== cur.metadata.deletionTimestamp) return true;
  if (isPodReady(old) !== isPodReady(cur)) return true;
  if (old.status?.phase !== cur.status?.phase) return true;
  if (old.spec?.hostname !== cur.spec?.hostname || old.spec?.subdomain !== cur.spec?.subdomain) return true;
  const a = podIPList(old);
  const b = podIPList(cur);
  return a.length !== b.length || a.some((ip, i) => ip !== b[i]);
}

/**
 * The keys of the Services a pod update concerns (kube's GetServicesToUpdateOnPodChange):
 * none for a resync or an irrelevant change; those matching it now when only its
 * endpoint-relevant state changed; when its labels changed, those matching it before or
 * after, or, if nothing else changed, only those that gained or lost it.
 * `selecting(namespace, labels)` answers which Services select a label set.
 */
export function servicesForPodUpdate(
  old: KubeObject,
  cur: KubeObject,
  selecting: (namespace: string | undefined, labels: Record<string, string> | undefined) => Set<string>,
): Set<string> {
  if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return new Set();
  const changed = podEndpointsChanged(old, cur);
  const labelsChanged = !deepEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {});
  if (!changed && !labelsChanged) return new Set();
  const now = selecting(cur.metadata.namespace, cur.metadata.labels);
  if (!labelsChanged) return now;
  const before = selecting(old.metadata.namespace, old.metadata.labels);
  if (changed) return new Set([...now, ...before]);
  const out = new Set<string>();
  for (const key of now) if (!before.has(key)) out.add(key);
  for (const key of before) if (!now.has(key)) out.add(key);
  return out;
}

/**
 * Which cached Services select a pod, for both endpoint controllers' event handlers: each
 * Service's selector is compiled once per cached object. A Service without a selector (or with
 * an empty one, which the API stores as none) selects nothing: its endpoints are made by hand.
 */
export class ServiceSelectors {
  private readonly compiled = new WeakMap<KubeObject, Selector | null>();

  constructor(private readonly services: Informer) {}

  /** The Service's selector; null when it selects nothing. */
  of(svc: KubeObject): Selector | null {
    let sel = this.compiled.get(svc);
    if (sel === undefined) {
      const m = svc.spec?.selector;
      sel = isPlainObject(m) && Object.keys(m).length > 0 ? selectorFromMap(m as Record<string, string>) : null;
      this.compiled.set(svc, sel);
    }
    return sel;
  }

  /** Keys of the Services in the namespace whose selector matches these labels. */
  selecting(namespace: string | undefined, labels: Record<string, string> | undefined): Set<string> {
    const keys = new Set<string>();
    for (const svc of this.services.lister.list(namespace ?? '')) {
      const sel = this.of(svc);
      if (sel && matchesLabels(sel, labels)) keys.add(objectKey(svc));
    }
    return keys;
  }

  /** The Services a pod update concerns (see servicesForPodUpdate). */
  forPodUpdate(old: KubeObject, cur: KubeObject): Set<string> {
    return servicesForPodUpdate(old, cur, (ns, labels) => this.selecting(ns, labels));
  }
}
