/**
 * The apps/v1 Deployment and ReplicaSet fields this controller reads and writes, typed over the
 * generic KubeObject. Objects from an informer cache are shared: copy before changing them.
 */
import type { KubeObject, ObjectMeta } from '../../api/object.js';
import type { LabelSelector } from '../../api/labels.js';

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: Record<string, unknown>;
}

export type IntOrPercent = number | string;

export interface DeploymentStrategy {
  type?: 'RollingUpdate' | 'Recreate';
  rollingUpdate?: { maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent };
}

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: DeploymentCondition[];
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector?: LabelSelector;
    template: PodTemplateSpec;
    strategy?: DeploymentStrategy;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: DeploymentStatus;
}

export interface ReplicaSetStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
}

export interface ReplicaSet extends KubeObject {
  spec: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: LabelSelector;
    template: PodTemplateSpec;
  };
  status?: ReplicaSetStatus;
}

/** Label on a Deployment's ReplicaSets, their selectors and pods: keeps the RSs' pods apart. */
export const podTemplateHashLabel = 'pod-template-hash';

/** The rollout sequence number of a ReplicaSet (and, copied, of its Deployment). */
export const revisionAnnotation = 'deployment.kubernetes.io/revision';
/** Earlier revisions a ReplicaSet served, comma-separated, when a rollback brought it back. */
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
/** spec.replicas of the Deployment when it last sized this ReplicaSet. */
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
/** spec.replicas + maxSurge at that time: the base of proportional scaling. */
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
/** Left by the removed extensions/v1beta1 rollback API; never copied. */
export const deprecatedRollbackToAnnotation = 'deprecated.deployment.rollback.to';

/** Condition reasons, exactly as the Kubernetes deployment controller writes them. */
export const reasons = {
  replicaSetUpdated: 'ReplicaSetUpdated',
  failedRSCreate: 'ReplicaSetCreateError',
  newReplicaSet: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

export function replicasOf(obj: { spec?: { replicas?: number } } | undefined): number {
  return obj?.spec?.replicas ?? 0;
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}
