/**
 * NodeUnschedulable: a cordoned node (spec.unschedulable) takes no new pods, except pods that
 * tolerate the node.kubernetes.io/unschedulable:NoSchedule taint (DaemonSet pods do).
 */
import type { KubeObject } from '../../api/object.js';
import { success, unresolvable, type CycleState, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import { podTolerations, tolerationsTolerateTaint, type Taint } from './tainttoleration.js';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

const unschedulableTaint: Taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };

export function nodeUnschedulableFilter(pod: KubeObject, node: KubeObject | undefined): Status {
  if (node?.spec?.unschedulable !== true) return success;
  return tolerationsTolerateTaint(podTolerations(pod), unschedulableTaint) ? success : unresolvable(ERR_REASON_UNSCHEDULABLE);
}

export class NodeUnschedulable implements FilterPlugin {
  readonly name = 'NodeUnschedulable';

  filter(_state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): Status {
    return nodeInfo.unschedulable ? nodeUnschedulableFilter(pod, nodeInfo.node) : success;
  }
}
