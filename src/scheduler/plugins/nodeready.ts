/**
 * NodeReady: only nodes whose Ready condition is True take pods.
 *
 * Kubernetes does this without a plugin of its own: the node lifecycle controller taints a
 * node whose Ready condition is False with node.kubernetes.io/not-ready:NoSchedule (Unknown:
 * node.kubernetes.io/unreachable:NoSchedule) and TaintToleration rejects it. Here the
 * condition is read directly, as the taint the controller would set, so a node that has not
 * been tainted yet is refused the same way and with the same words, and a pod that tolerates
 * the taint still goes there.
 */
import type { KubeObject } from '../../api/object.js';
import { success, unresolvable, type CycleState, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import { errReasonUntolerated, nodeTaints, podTolerations, tolerationsTolerateTaint, type Taint } from './tainttoleration.js';

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';

/** The NoSchedule taint the node's Ready condition implies, or undefined for a Ready node. */
export function readinessTaint(node: KubeObject | undefined): Taint | undefined {
  const conditions: Array<{ type?: string; status?: string }> = Array.isArray(node?.status?.conditions) ? node!.status.conditions : [];
  const ready = conditions.find((c) => c?.type === 'Ready');
  if (ready?.status === 'True') return undefined;
  // A node that has not reported yet is treated like the kubelet registers one: not ready.
  const key = ready?.status === 'Unknown' ? TAINT_NODE_UNREACHABLE : TAINT_NODE_NOT_READY;
  return { key, effect: 'NoSchedule' };
}

export function nodeReadyFilter(pod: KubeObject, node: KubeObject | undefined): Status {
  const taint = readinessTaint(node);
  if (!taint) return success;
  // The node controller's real taint, if already there, was TaintToleration's to judge.
  if (nodeTaints(node).some((t) => t.key === taint.key && t.effect === 'NoSchedule')) return success;
  return tolerationsTolerateTaint(podTolerations(pod), taint) ? success : unresolvable(errReasonUntolerated(taint));
}

export class NodeReady implements FilterPlugin {
  readonly name = 'NodeReady';

  filter(_state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): Status {
    return nodeInfo.ready ? success : nodeReadyFilter(pod, nodeInfo.node);
  }
}
