/**
 * NodePorts: a pod asking for a host port cannot go where another pod already holds that port
 * on the same address (or on 0.0.0.0, which is every address) and protocol.
 */
import type { KubeObject } from '../../api/object.js';
import { StateKey, success, unschedulable, type CycleState, type FilterPlugin, type PreFilterPlugin, type Status } from '../framework.js';
import { podInfoFor, type HostPort, type NodeInfo } from '../nodeinfo.js';

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

const stateKey = new StateKey<HostPort[]>('NodePorts/ports');

/** Pure: whether any wanted port is taken on the node. */
export function fitsPorts(wanted: readonly HostPort[], nodeInfo: NodeInfo): boolean {
  for (const p of wanted) if (nodeInfo.portInUse(p)) return false;
  return true;
}

export class NodePorts implements PreFilterPlugin, FilterPlugin {
  readonly name = 'NodePorts';

  preFilter(state: CycleState, pod: KubeObject): Status {
    state.write(stateKey, podInfoFor(pod).hostPorts);
    return success;
  }

  filter(state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): Status {
    const wanted = state.read(stateKey) ?? podInfoFor(pod).hostPorts;
    if (wanted.length === 0) return success;
    return fitsPorts(wanted, nodeInfo) ? success : unschedulable(ERR_REASON_PORTS);
  }
}
