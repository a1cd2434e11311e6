/**
 * NodeResourcesFit: the pod's requests (cpu, memory, one pod slot) must fit in what the node's
 * allocatable leaves after the requests of the pods already on it, assumed ones included.
 * A request bigger than the whole node is unresolvable (no eviction could make room), which
 * the preemption part of the FailedScheduling message reflects.
 */
import type { KubeObject } from '../../api/object.js';
import { StateKey, success, type CycleState, type FilterPlugin, type PreFilterPlugin, type Status, type StatusCode } from '../framework.js';
import { podInfoFor, type Allocatable, type NodeInfo, type Resource } from '../nodeinfo.js';

export interface InsufficientResource {
  resource: 'pods' | 'cpu' | 'memory';
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The node could not hold the request even if it were empty. */
  unresolvable: boolean;
}

/** Pure: what the node lacks for the request, in kube-scheduler's order (pods, cpu, memory). */
export function insufficientResources(
  request: Resource,
  allocatable: Allocatable,
  requested: Resource,
  podCount: number,
): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  if (podCount + 1 > allocatable.pods) {
    out.push({ resource: 'pods', reason: 'Too many pods', requested: 1, used: podCount, capacity: allocatable.pods, unresolvable: false });
  }
  if (request.milliCPU === 0 && request.memory === 0) return out;
  if (request.milliCPU > 0 && request.milliCPU > allocatable.milliCPU - requested.milliCPU) {
    out.push({
      resource: 'cpu',
      reason: 'Insufficient cpu',
      requested: request.milliCPU,
      used: requested.milliCPU,
      capacity: allocatable.milliCPU,
      unresolvable: request.milliCPU > allocatable.milliCPU,
    });
  }
  if (request.memory > 0 && request.memory > allocatable.memory - requested.memory) {
    out.push({
      resource: 'memory',
      reason: 'Insufficient memory',
      requested: request.memory,
      used: requested.memory,
      capacity: allocatable.memory,
      unresolvable: request.memory > allocatable.memory,
    });
  }
  return out;
}

export function fitStatus(insufficient: readonly InsufficientResource[]): Status {
  if (insufficient.length === 0) return success;
  const code: StatusCode = insufficient.some((r) => r.unresolvable) ? 'UnschedulableAndUnresolvable' : 'Unschedulable';
  return { code, reasons: insufficient.map((r) => r.reason) };
}

const stateKey = new StateKey<Resource>('NodeResourcesFit/request');

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin {
  readonly name = 'NodeResourcesFit';

  preFilter(state: CycleState, pod: KubeObject): Status {
    state.write(stateKey, podInfoFor(pod).requests);
    return success;
  }

  filter(state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): Status {
    const request = state.read(stateKey) ?? podInfoFor(pod).requests;
    const a = nodeInfo.allocatable;
    const used = nodeInfo.requested;
    // The common case first, without building the list of what is short.
    if (
      nodeInfo.pods.size < a.pods &&
      (request.milliCPU === 0 || request.milliCPU <= a.milliCPU - used.milliCPU) &&
      (request.memory === 0 || request.memory <= a.memory - used.memory)
    ) {
      return success;
    }
    return fitStatus(insufficientResources(request, a, used, nodeInfo.pods.size));
  }
}
