/**
 * Per-node aggregates the filters and scores read: what the node can hold (allocatable cpu,
 * memory, pods) and what its pods — bound and assumed — already ask for, plus the host ports
 * they use. Pods are added and removed one at a time, so a scheduling cycle never recomputes a
 * node from scratch.
 */
import type { KubeObject } from '../api/object.js';
import { milliValue, parseQuantity, value } from '../api/quantity.js';
import { objectKey } from '../client/interfaces.js';

/** cpu in millicores, memory in bytes. */
export interface Resource {
  milliCPU: number;
  memory: number;
}

/** kube-scheduler's stand-ins for a container without a cpu or memory request, used in scoring only. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface HostPort {
  /** "0.0.0.0" when the container does not name one: every address of the node. */
  ip: string;
  protocol: string;
  port: number;
}

/** What the scheduler needs to know about a pod, computed once per pod object. */
export interface PodInfo {
  /** "namespace/name". */
  key: string;
  pod: KubeObject;
  /** Effective requests: containers summed, init containers by the max rule, plus overhead. */
  requests: Resource;
  /** The same with the default requests for containers that ask for nothing (for scoring). */
  nonZeroRequests: Resource;
  hostPorts: HostPort[];
  /** uid of the pod's controller ownerReference, for spreading an owner's pods. */
  controllerUID?: string;
}

/** Parsed quantity strings: pods of one template repeat the same few ("100m", "128Mi"). */
const parsedQuantities = new Map<string, number>();

function quantityOf(v: unknown, milli: boolean): number | undefined {
  if (v === undefined || v === null) return undefined;
  const text = String(v);
  const memoKey = milli ? `m:${text}` : text;
  let n = parsedQuantities.get(memoKey);
  if (n === undefined) {
    try {
      const q = parseQuantity(text);
      n = Number(milli ? milliValue(q) : value(q));
    } catch {
      // The API server validates quantities; one that slips through counts as nothing.
      n = 0;
    }
    if (parsedQuantities.size >= 10_000) parsedQuantities.clear();
    parsedQuantities.set(memoKey, n);
  }
  return n;
}

type Obj = Record<string, any>;

function containerRequests(c: Obj, nonZero: boolean): Resource {
  const req: Obj = c?.resources?.requests ?? {};
  const cpu = quantityOf(req.cpu, true);
  const mem = quantityOf(req.memory, false);
  return {
    milliCPU: cpu ?? (nonZero ? DEFAULT_MILLI_CPU_REQUEST : 0),
    memory: mem ?? (nonZero ? DEFAULT_MEMORY_REQUEST : 0),
  };
}

/**
 * The pod's requests as kube-scheduler counts them (resourcehelper.PodRequests): regular
 * containers and sidecars (restartable init containers) add up; each ordinary init container
 * runs alone beside the sidecars started before it, so the pod needs the larger of the two;
 * the runtime's overhead comes on top.
 */
export function podRequests(pod: KubeObject, nonZero = false): Resource {
  const spec: Obj = pod.spec ?? {};
  const sum: Resource = { milliCPU: 0, memory: 0 };
  for (const c of (spec.containers ?? []) as Obj[]) {
    const r = containerRequests(c, nonZero);
    sum.milliCPU += r.milliCPU;
    sum.memory += r.memory;
  }
  const sidecars: Resource = { milliCPU: 0, memory: 0 };
  const initMax: Resource = { milliCPU: 0, memory: 0 };
  for (const c of (spec.initContainers ?? []) as Obj[]) {
    const r = containerRequests(c, nonZero);
    let during: Resource;
    if (c?.restartPolicy === 'Always') {
      sum.milliCPU += r.milliCPU;
      sum.memory += r.memory;
      sidecars.milliCPU += r.milliCPU;
      sidecars.memory += r.memory;
      during = { ...sidecars };
    } else {
      during = { milliCPU: r.milliCPU + sidecars.milliCPU, memory: r.memory + sidecars.memory };
    }
    initMax.milliCPU = Math.max(initMax.milliCPU, during.milliCPU);
    initMax.memory = Math.max(initMax.memory, during.memory);
  }
  const out: Resource = { milliCPU: Math.max(sum.milliCPU, initMax.milliCPU), memory: Math.max(sum.memory, initMax.memory) };
  const overhead: Obj = spec.overhead ?? {};
  out.milliCPU += quantityOf(overhead.cpu, true) ?? 0;
  out.memory += quantityOf(overhead.memory, false) ?? 0;
  return out;
}

/** Host ports the pod's containers (and sidecars) ask for. */
export function podHostPorts(pod: KubeObject): HostPort[] {
  const spec: Obj = pod.spec ?? {};
  const out: HostPort[] = [];
  const containers = [...((spec.containers ?? []) as Obj[]), ...((spec.initContainers ?? []) as Obj[]).filter((c) => c?.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of (c?.ports ?? []) as Obj[]) {
      const port = Number(p?.hostPort ?? 0);
      if (!(port > 0)) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port });
    }
  }
  return out;
}

export function newPodInfo(pod: KubeObject): PodInfo {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller === true);
  return {
    key: objectKey(pod),
    pod,
    requests: podRequests(pod),
    nonZeroRequests: podRequests(pod, true),
    hostPorts: podHostPorts(pod),
    controllerUID: owner?.uid,
  };
}

const podInfos = new WeakMap<KubeObject, PodInfo>();

/**
 * newPodInfo, memoized per pod object: informer objects are never modified, and a cycle asks
 * for a pod's requests several times (filters, scores, assume, then the bound pod's event).
 */
export function podInfoFor(pod: KubeObject): PodInfo {
  let pi = podInfos.get(pod);
  if (!pi) {
    pi = newPodInfo(pod);
    podInfos.set(pod, pi);
  }
  return pi;
}

export interface Allocatable extends Resource {
  pods: number;
}

/** Reads node.status.allocatable (capacity when allocatable is absent). */
export function nodeAllocatable(node: KubeObject | undefined): Allocatable {
  const a: Obj = node?.status?.allocatable ?? node?.status?.capacity ?? {};
  return {
    milliCPU: quantityOf(a.cpu, true) ?? 0,
    memory: quantityOf(a.memory, false) ?? 0,
    pods: quantityOf(a.pods, false) ?? 0,
  };
}

export class NodeInfo {
  /** The Node object; undefined while only pods bound to the name are known (or after it was deleted). */
  node: KubeObject | undefined;
  allocatable: Allocatable = { milliCPU: 0, memory: 0, pods: 0 };
  readonly requested: Resource = { milliCPU: 0, memory: 0 };
  readonly nonZeroRequested: Resource = { milliCPU: 0, memory: 0 };
  readonly pods = new Map<string, PodInfo>();
  /** From the Node object, for the filters' fast paths: whether it has any taint, is cordoned, is Ready. */
  hasTaints = false;
  unschedulable = false;
  ready = false;
  /** Bumped on every change, so observers can tell a node changed. */
  generation = 0;
  /** Host port use counts by "ip/protocol/port" and by "protocol/port" (any address). */
  private readonly portsByAddress = new Map<string, number>();
  private readonly portsAnyAddress = new Map<string, number>();
  /** Pods on the node per controller uid. */
  private readonly byController = new Map<string, number>();

  constructor(readonly name: string, node?: KubeObject) {
    if (node) this.setNode(node);
  }

  setNode(node: KubeObject): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
    this.hasTaints = Array.isArray(node.spec?.taints) && node.spec.taints.length > 0;
    this.unschedulable = node.spec?.unschedulable === true;
    const conditions: Array<{ type?: string; status?: string }> = Array.isArray(node.status?.conditions) ? node.status.conditions : [];
    this.ready = conditions.some((c) => c?.type === 'Ready' && c.status === 'True');
    this.generation++;
  }

  clearNode(): void {
    this.node = undefined;
    this.allocatable = { milliCPU: 0, memory: 0, pods: 0 };
    this.hasTaints = this.unschedulable = this.ready = false;
    this.generation++;
  }

  addPod(pi: PodInfo): void {
    if (this.pods.has(pi.key)) this.removePod(pi.key);
    this.pods.set(pi.key, pi);
    this.account(pi, 1);
  }

  /** Removes the pod with this key; false if it was not here. */
  removePod(key: string): boolean {
    const pi = this.pods.get(key);
    if (!pi) return false;
    this.pods.delete(key);
    this.account(pi, -1);
    return true;
  }

  /** Whether one of the node's pods already uses the port (kube-scheduler's HostPortInfo.CheckConflict). */
  portInUse(p: HostPort): boolean {
    if (p.ip === '0.0.0.0') return (this.portsAnyAddress.get(`${p.protocol}/${p.port}`) ?? 0) > 0;
    return (
      (this.portsByAddress.get(`${p.ip}/${p.protocol}/${p.port}`) ?? 0) > 0 ||
      (this.portsByAddress.get(`0.0.0.0/${p.protocol}/${p.port}`) ?? 0) > 0
    );
  }

  /** Number of the node's pods whose controller has this uid. */
  podsOfController(uid: string): number {
    return this.byController.get(uid) ?? 0;
  }

  private account(pi: PodInfo, sign: 1 | -1): void {
    this.requested.milliCPU += sign * pi.requests.milliCPU;
    this.requested.memory += sign * pi.requests.memory;
    this.nonZeroRequested.milliCPU += sign * pi.nonZeroRequests.milliCPU;
    this.nonZeroRequested.memory += sign * pi.nonZeroRequests.memory;
    for (const p of pi.hostPorts) {
      bump(this.portsByAddress, `${p.ip}/${p.protocol}/${p.port}`, sign);
      bump(this.portsAnyAddress, `${p.protocol}/${p.port}`, sign);
    }
    if (pi.controllerUID) bump(this.byController, pi.controllerUID, sign);
    this.generation++;
  }
}

function bump(m: Map<string, number>, k: string, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}
