/**
 * Builders of Node and Pod objects for the scheduler's tests: only the fields the scheduler
 * reads, shaped as the API server returns them.
 */
import type { KubeObject } from '../api/object.js';
import type { Taint, Toleration } from './plugins/tainttoleration.js';

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  /** Ready condition status; undefined leaves the condition out. */
  ready?: 'True' | 'False' | 'Unknown' | null;
}

export function makeNode(name: string, s: NodeSpec = {}): KubeObject {
  const capacity = { cpu: s.cpu ?? '4', memory: s.memory ?? '8Gi', pods: s.pods ?? '110' };
  const ready = s.ready === undefined ? 'True' : s.ready;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(s.labels ?? {}) } },
    spec: { ...(s.taints ? { taints: s.taints } : {}), ...(s.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity,
      allocatable: capacity,
      conditions: ready === null ? [] : [{ type: 'Ready', status: ready, reason: 'KubeletReady', message: 'ready' }],
    },
  };
}

export interface PodSpec {
  namespace?: string;
  cpu?: string;
  memory?: string;
  /** Host ports of the single container. */
  hostPorts?: Array<{ hostPort: number; containerPort?: number; protocol?: string; hostIP?: string }>;
  nodeSelector?: Record<string, string>;
  affinity?: unknown;
  tolerations?: Toleration[];
  labels?: Record<string, string>;
  nodeName?: string;
  schedulerName?: string;
  owner?: { kind: string; name: string; uid: string };
  priority?: number;
  initContainers?: Array<{ cpu?: string; memory?: string; restartPolicy?: string }>;
  uid?: string;
}

export function makePod(name: string, s: PodSpec = {}): KubeObject {
  const requests: Record<string, string> = {};
  if (s.cpu) requests.cpu = s.cpu;
  if (s.memory) requests.memory = s.memory;
  const container: Record<string, unknown> = { name: 'main', image: 'registry.k8s.io/pause:3.9', resources: { requests } };
  if (s.hostPorts) {
    container.ports = s.hostPorts.map((p) => ({ containerPort: p.containerPort ?? p.hostPort, ...p }));
  }
  const spec: Record<string, unknown> = { containers: [container] };
  if (s.initContainers) {
    spec.initContainers = s.initContainers.map((c, i) => {
      const r: Record<string, string> = {};
      if (c.cpu) r.cpu = c.cpu;
      if (c.memory) r.memory = c.memory;
      return { name: `init${i}`, image: 'busybox', resources: { requests: r }, ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}) };
    });
  }
  if (s.nodeSelector) spec.nodeSelector = s.nodeSelector;
  if (s.affinity) spec.affinity = s.affinity;
  if (s.tolerations) spec.tolerations = s.tolerations;
  if (s.nodeName) spec.nodeName = s.nodeName;
  if (s.schedulerName) spec.schedulerName = s.schedulerName;
  if (s.priority !== undefined) spec.priority = s.priority;
  const metadata: KubeObject['metadata'] = { name, namespace: s.namespace ?? 'default', uid: s.uid ?? `uid-${name}` };
  if (s.labels) metadata.labels = s.labels;
  if (s.owner) metadata.ownerReferences = [{ apiVersion: 'apps/v1', ...s.owner, controller: true }];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec, status: { phase: 'Pending' } };
}
