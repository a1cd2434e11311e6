/**
 * NodeResourcesBalancedAllocation: prefers the node where, with the pod placed, cpu and memory
 * would be used in the most similar proportions, so neither runs out while the other idles.
 * Score = (1 - standard deviation of the used fractions) * 100; for two resources the standard
 * deviation is half their difference.
 */
import type { KubeObject } from '../../api/object.js';
import { MAX_NODE_SCORE, StateKey, success, type CycleState, type PreScorePlugin, type ScorePlugin, type Status } from '../framework.js';
import { podInfoFor, type NodeInfo, type Resource } from '../nodeinfo.js';

/** Pure: the balanced-allocation score for requests (node's plus the pod's) against allocatable. */
export function balancedAllocationScore(requested: Resource, allocatable: Resource): number {
  const fractions: number[] = [];
  if (allocatable.milliCPU > 0) fractions.push(Math.min(1, requested.milliCPU / allocatable.milliCPU));
  if (allocatable.memory > 0) fractions.push(Math.min(1, requested.memory / allocatable.memory));
  if (fractions.length < 2) return MAX_NODE_SCORE;
  const std = Math.abs(fractions[0]! - fractions[1]!) / 2;
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

const stateKey = new StateKey<Resource>('NodeResourcesBalancedAllocation/request');

export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = 'NodeResourcesBalancedAllocation';
  readonly weight: number;

  constructor(opts: { weight?: number } = {}) {
    this.weight = opts.weight ?? 1;
  }

  preScore(state: CycleState, pod: KubeObject): Status {
    state.write(stateKey, podInfoFor(pod).requests);
    return success;
  }

  score(state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): number {
    const req = state.read(stateKey) ?? podInfoFor(pod).requests;
    return balancedAllocationScore(
      { milliCPU: nodeInfo.requested.milliCPU + req.milliCPU, memory: nodeInfo.requested.memory + req.memory },
      nodeInfo.allocatable,
    );
  }
}
