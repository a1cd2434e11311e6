/**
 * NodeResourcesLeastAllocated (NodeResourcesFit's default scoring strategy): prefers the node
 * with the most cpu and memory left after placing the pod, which spreads load. Each resource
 * scores (allocatable - requested) * 100 / allocatable, with requested counting containers
 * that ask for nothing at kube-scheduler's defaults (100m cpu, 200Mi memory); the node's score
 * is the average over cpu and memory.
 */
import type { KubeObject } from '../../api/object.js';
import { MAX_NODE_SCORE, StateKey, success, type CycleState, type PreScorePlugin, type ScorePlugin, type Status } from '../framework.js';
import { podInfoFor, type NodeInfo, type Resource } from '../nodeinfo.js';

/** Pure: one resource's least-allocated score (0 when the node has none or would be overfull). */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** Pure: the node's score for a pod with these non-zero requests. */
export function leastAllocatedScore(podNonZero: Resource, nodeNonZeroRequested: Resource, allocatable: Resource): number {
  const cpu = leastRequestedScore(nodeNonZeroRequested.milliCPU + podNonZero.milliCPU, allocatable.milliCPU);
  const mem = leastRequestedScore(nodeNonZeroRequested.memory + podNonZero.memory, allocatable.memory);
  return Math.trunc((cpu + mem) / 2);
}

const stateKey = new StateKey<Resource>('NodeResourcesLeastAllocated/request');

export class NodeResourcesLeastAllocated implements PreScorePlugin, ScorePlugin {
  readonly name = 'NodeResourcesLeastAllocated';
  readonly weight: number;

  constructor(opts: { weight?: number } = {}) {
    this.weight = opts.weight ?? 1;
  }

  preScore(state: CycleState, pod: KubeObject): Status {
    state.write(stateKey, podInfoFor(pod).nonZeroRequests);
    return success;
  }

  score(state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): number {
    const req = state.read(stateKey) ?? podInfoFor(pod).nonZeroRequests;
    return leastAllocatedScore(req, nodeInfo.nonZeroRequested, nodeInfo.allocatable);
  }
}
