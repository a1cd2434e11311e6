/**
 * What the node lifecycle controller decides about one Node, as pure functions: the
 * conditions of a node whose kubelet went silent, and the taints a node's conditions call
 * for (Kubernetes' NoSchedule and NoExecute tainting passes).
 */
import type { KubeObject } from '../../api/object.js';
import { rfc3339 } from '../../util/clock.js';
import type { Taint } from './taint-eviction.js';

export const taintNotReady = 'node.kubernetes.io/not-ready';
export const taintUnreachable = 'node.kubernetes.io/unreachable';
export const taintUnschedulable = 'node.kubernetes.io/unschedulable';
export const taintMemoryPressure = 'node.kubernetes.io/memory-pressure';
export const taintDiskPressure = 'node.kubernetes.io/disk-pressure';
export const taintPIDPressure = 'node.kubernetes.io/pid-pressure';
export const taintNetworkUnavailable = 'node.kubernetes.io/network-unavailable';
/** Put on by an administrator once a not-ready node is known to be down (non-graceful node shutdown). */
export const taintOutOfService = 'node.kubernetes.io/out-of-service';

/**
 * Whether the pods still deleting on this node may be force-deleted: Kubernetes' pod GC does it
 * only when the node is not Ready and carries the out-of-service taint. An unreachable node
 * alone is not enough, since its pods may still be running there (a StatefulSet must not get
 * a second pod of the same name); they stay Terminating until the kubelet is back.
 */
export function deletingPodsMayBeForced(node: KubeObject): boolean {
  const outOfService = ((node.spec?.taints ?? []) as Taint[]).some((t) => t.key === taintOutOfService);
  return outOfService && nodeCondition(node, 'Ready')?.status !== 'True';
}

export interface NodeCondition {
  type: string;
  status: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** The kubelet-owned conditions the controller turns Unknown when the kubelet goes silent. */
export const kubeletConditionTypes = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

export function nodeCondition(node: KubeObject, type: string): NodeCondition | undefined {
  return ((node.status?.conditions ?? []) as NodeCondition[]).find((c) => c.type === type);
}

/**
 * The node's conditions after its kubelet stopped posting: each kubelet condition becomes
 * Unknown (NodeStatusUnknown), or is added as Unknown (NodeStatusNeverUpdated) if it never
 * was posted. lastHeartbeatTime keeps the kubelet's last word. undefined when nothing changes.
 */
export function conditionsForSilentNode(node: KubeObject, now: number): NodeCondition[] | undefined {
  const t = rfc3339(now);
  const conditions = ((node.status?.conditions ?? []) as NodeCondition[]).map((c) => ({ ...c }));
  let changed = false;
  for (const type of kubeletConditionTypes) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata.creationTimestamp ?? t,
        lastTransitionTime: t,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = t;
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}

/** Taints this controller owns: it adds and removes exactly these, and leaves all others alone. */
const managed: readonly { key: string; effect: string }[] = [
  { key: taintNotReady, effect: 'NoExecute' },
  { key: taintUnreachable, effect: 'NoExecute' },
  { key: taintNotReady, effect: 'NoSchedule' },
  { key: taintUnreachable, effect: 'NoSchedule' },
  { key: taintMemoryPressure, effect: 'NoSchedule' },
  { key: taintDiskPressure, effect: 'NoSchedule' },
  { key: taintPIDPressure, effect: 'NoSchedule' },
  { key: taintNetworkUnavailable, effect: 'NoSchedule' },
  { key: taintUnschedulable, effect: 'NoSchedule' },
];

const isManaged = (t: Taint) => managed.some((m) => m.key === t.key && m.effect === t.effect);

/** The controller-owned taints the node's conditions and spec call for (without timeAdded). */
export function wantedTaints(node: KubeObject): Taint[] {
  const want: Taint[] = [];
  const status = (type: string) => nodeCondition(node, type)?.status;
  const ready = status('Ready');
  // NoExecute: evicts pods (after their tolerations); not-ready and unreachable never both.
  if (ready === 'False') want.push({ key: taintNotReady, effect: 'NoExecute' });
  else if (ready === 'Unknown') want.push({ key: taintUnreachable, effect: 'NoExecute' });
  // NoSchedule: keeps new pods away while the condition lasts.
  if (ready === 'False') want.push({ key: taintNotReady, effect: 'NoSchedule' });
  else if (ready === 'Unknown') want.push({ key: taintUnreachable, effect: 'NoSchedule' });
  if (status('MemoryPressure') === 'True') want.push({ key: taintMemoryPressure, effect: 'NoSchedule' });
  if (status('DiskPressure') === 'True') want.push({ key: taintDiskPressure, effect: 'NoSchedule' });
  if (status('PIDPressure') === 'True') want.push({ key: taintPIDPressure, effect: 'NoSchedule' });
  if (status('NetworkUnavailable') === 'True') want.push({ key: taintNetworkUnavailable, effect: 'NoSchedule' });
  if (node.spec?.unschedulable === true) want.push({ key: taintUnschedulable, effect: 'NoSchedule' });
  return want;
}

/**
 * The node's full taint list with the controller-owned part brought in line with its
 * conditions: taints of other owners kept in place, a taint that stays keeps its timeAdded,
 * a new one gets `now`. undefined when the list is already right.
 */
export function reconcileTaints(node: KubeObject, now: number): Taint[] | undefined {
  const current = (node.spec?.taints ?? []) as Taint[];
  const want = wantedTaints(node);
  const has = (list: readonly Taint[], t: Taint) => list.some((x) => x.key === t.key && x.effect === t.effect);
  const kept = current.filter((t) => !isManaged(t) || has(want, t));
  // Every taint added gets timeAdded, NoSchedule ones too, as Kubernetes' SwapNodeControllerTaint
  // stamps them (kubectl get node -o yaml shows it on a cordoned node's unschedulable taint).
  const added = want.filter((t) => !has(current, t)).map((t) => ({ ...t, timeAdded: rfc3339(now) }));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...kept, ...added];
}
