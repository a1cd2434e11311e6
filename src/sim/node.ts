/**
 * One simulated node: its identity (name, made-up InternalIP and pod CIDR), the Node object
 * it registers, the conditions it reports, its last heartbeat Lease and its pod IP pool.
 * It holds state only; `SimNodePool` does the talking to the API server for all its nodes.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../api/object.js';
import { rfc3339 } from '../util/clock.js';

export const simKubeletVersion = 'v1.32.4-peapod-sim';
export const simRuntimeVersion = 'sim://1';

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** What a healthy kubelet reports: Ready, and no pressure of any kind. */
const healthyConditions: readonly Omit<NodeCondition, 'lastHeartbeatTime' | 'lastTransitionTime'>[] = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

export interface SimNodeSpec {
  name: string;
  /** Position of the node in the made-up address plan (see `addressesFor`). */
  slot: number;
  capacity: Record<string, string>;
  labels?: Record<string, string>;
}

/**
 * The address plan: slot k (0..32767) gets InternalIP 10.1.<k/256>.<k%256> and pod CIDR
 * 10.<128+k/256>.<k%256>.0/24. Nothing ever connects to these; they only have to look right
 * and differ between nodes.
 */
export function addressesFor(slot: number): { internalIP: string; podCIDR: string } {
  const k = ((slot % 32768) + 32768) % 32768;
  return { internalIP: `10.1.${k >> 8}.${k & 255}`, podCIDR: `10.${128 + (k >> 8)}.${k & 255}.0/24` };
}

export class SimNode {
  readonly name: string;
  readonly internalIP: string;
  readonly podCIDR: string;
  readonly capacity: Record<string, string>;
  readonly labels: Record<string, string>;
  /** The Lease as last written, so a renewal is one PUT with the right resourceVersion. */
  lease?: KubeObject;
  /** The Node's uid once registered (the Lease is owned by the Node). */
  uid?: string;
  /** When this node last posted its status (clock ms). */
  lastStatusAt = Number.NEGATIVE_INFINITY;
  private readonly podIPByKey = new Map<string, number>();
  private readonly usedHosts = new Set<number>();
  private nextHost = 2;
  private readonly machineID = randomUUID().replaceAll('-', '');
  private readonly bootID = randomUUID();

  constructor(spec: SimNodeSpec) {
    this.name = spec.name;
    this.capacity = { ...spec.capacity };
    const { internalIP, podCIDR } = addressesFor(spec.slot);
    this.internalIP = internalIP;
    this.podCIDR = podCIDR;
    this.labels = {
      'kubernetes.io/hostname': spec.name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': 'amd64',
      type: 'sim',
      ...spec.labels,
    };
  }

  /**
   * The conditions to report now: healthy ones, keeping each one's lastTransitionTime from
   * `current` (the Node as stored) when its status is unchanged.
   */
  conditions(now: number, current?: KubeObject): NodeCondition[] {
    const t = rfc3339(now);
    const before = new Map<string, NodeCondition>(((current?.status?.conditions ?? []) as NodeCondition[]).map((c) => [c.type, c]));
    return healthyConditions.map((c) => {
      const prev = before.get(c.type);
      return { ...c, lastHeartbeatTime: t, lastTransitionTime: prev?.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : t };
    });
  }

  /** Whether the stored Node says something other than what this node would report (ignoring heartbeat times). */
  statusDiffers(current: KubeObject): boolean {
    const conds = (current.status?.conditions ?? []) as NodeCondition[];
    for (const want of healthyConditions) {
      const got = conds.find((c) => c.type === want.type);
      if (!got || got.status !== want.status || got.reason !== want.reason) return true;
    }
    const alloc = current.status?.allocatable ?? {};
    return Object.entries(this.capacity).some(([k, v]) => alloc[k] !== v);
  }

  /** The full status the node posts on registration (and whenever it differs). */
  status(now: number, current?: KubeObject): Record<string, unknown> {
    return {
      capacity: { ...this.capacity },
      allocatable: { ...this.capacity },
      conditions: this.conditions(now, current),
      addresses: [
        { type: 'InternalIP', address: this.internalIP },
        { type: 'Hostname', address: this.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: this.machineID,
        systemUUID: this.machineID,
        bootID: this.bootID,
        kernelVersion: '6.1.0-sim',
        osImage: 'peapod simulated node',
        containerRuntimeVersion: simRuntimeVersion,
        kubeletVersion: simKubeletVersion,
        kubeProxyVersion: simKubeletVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    };
  }

  /** The Node object the node registers with. */
  nodeObject(now: number): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.name,
        labels: { ...this.labels },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'sim.peapod.io/simulated': 'true' },
      },
      spec: { podCIDR: this.podCIDR, podCIDRs: [this.podCIDR] },
      status: this.status(now),
    };
  }

  /** The pod's IP in this node's pod CIDR, the same one for as long as the pod (by key) lives. */
  podIP(podKey: string): string {
    let host = this.podIPByKey.get(podKey);
    if (host === undefined) {
      // Hosts .2-.254; a node with more live pods than that reuses addresses (they are never contacted).
      for (let tries = 0; tries < 253; tries++) {
        const h = this.nextHost;
        this.nextHost = h >= 254 ? 2 : h + 1;
        if (!this.usedHosts.has(h)) {
          host = h;
          break;
        }
      }
      host ??= this.nextHost;
      this.podIPByKey.set(podKey, host);
      this.usedHosts.add(host);
    }
    return this.podCIDR.replace(/\.0\/24$/, `.${host}`);
  }

  /** Gives the pod's IP back once the pod is gone. */
  releasePodIP(podKey: string): void {
    const host = this.podIPByKey.get(podKey);
    if (host === undefined) return;
    this.podIPByKey.delete(podKey);
    this.usedHosts.delete(host);
  }
}
