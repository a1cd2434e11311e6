/** Small builders for Deployment and ReplicaSet objects, shared by this folder's tests. */
import { desiredReplicasAnnotation, maxReplicasAnnotation, revisionAnnotation, type Deployment, type IntOrPercent, type ReplicaSet } from './types.js';

export function deployment(
  opts: { replicas?: number; surge?: IntOrPercent; unavailable?: IntOrPercent; recreate?: boolean; generation?: number; deadline?: number; status?: Deployment['status']; annotations?: Record<string, string> } = {},
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: opts.generation ?? 1, annotations: opts.annotations },
    spec: {
      replicas: opts.replicas ?? 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      strategy: opts.recreate
        ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: opts.surge ?? '25%', maxUnavailable: opts.unavailable ?? '25%' } },
      progressDeadlineSeconds: opts.deadline ?? 600,
      revisionHistoryLimit: 10,
    },
    status: opts.status ?? {},
  };
}

export function replicaSet(
  name: string,
  replicas: number,
  opts: { available?: number; actual?: number; ready?: number; created?: string; revision?: number; desired?: number; max?: number } = {},
): ReplicaSet {
  const annotations: Record<string, string> = {};
  if (opts.revision !== undefined) annotations[revisionAnnotation] = String(opts.revision);
  if (opts.desired !== undefined) annotations[desiredReplicasAnnotation] = String(opts.desired);
  if (opts.max !== undefined) annotations[maxReplicasAnnotation] = String(opts.max);
  return {
    metadata: { name, namespace: 'default', uid: `${name}-uid`, creationTimestamp: opts.created ?? '2024-01-01T00:00:00Z', annotations },
    spec: { replicas, template: { metadata: { labels: { app: 'web' } } } },
    status: {
      replicas: opts.actual ?? replicas,
      readyReplicas: opts.ready ?? opts.available ?? replicas,
      availableReplicas: opts.available ?? replicas,
    },
  };
}
