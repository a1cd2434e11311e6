/**
 * metadata.generation: which kinds track it and when it goes up. Kubernetes' registry
 * strategies set generation 1 on create and bump it when the desired state changes, only for
 * kinds that separate spec from status and have controllers that report observedGeneration.
 * ConfigMaps, Secrets, Services, Namespaces, Nodes, Endpoints, Events and Leases carry no
 * generation at all, and neither do Pods in the version this server reports (v1.32; pods
 * gained one in 1.33).
 */
import type { KubeObject } from './object.js';
import type { ResourceType } from './resource.js';
import { deepEqual } from './kinds/common.js';

/** What a change must touch to bump generation, per "group/plural". */
const generationInputs: Record<string, (obj: KubeObject) => unknown> = {
  '/replicationcontrollers': (o) => o.spec,
  'apps/replicasets': (o) => o.spec,
  // Deployments also count annotation changes: rollback and change-cause live there.
  'apps/deployments': (o) => [o.spec, o.metadata?.annotations ?? {}],
  // EndpointSlices have no spec: anything but metadata counts, and so do labels (the
  // EndpointSlice controllers compare generations to tell their own writes in the cache).
  'discovery.k8s.io/endpointslices': (o) => [o.addressType ?? null, o.endpoints ?? null, o.ports ?? null, o.metadata?.labels ?? {}],
  // The eviction subresource refuses evictions while status.observedGeneration lags behind.
  'policy/poddisruptionbudgets': (o) => o.spec ?? null,
};

function inputsOf(rt: Pick<ResourceType, 'group' | 'plural'>) {
  return generationInputs[`${rt.group}/${rt.plural}`];
}

/** Whether objects of this kind carry metadata.generation. */
export function tracksGeneration(rt: Pick<ResourceType, 'group' | 'plural'>): boolean {
  return inputsOf(rt) !== undefined;
}

/**
 * The generation obj should be stored with: 1 on create (no `old`), old's generation + 1 when
 * the desired state changed, old's otherwise; undefined for kinds without a generation (the
 * caller deletes metadata.generation then).
 */
export function nextGeneration(rt: Pick<ResourceType, 'group' | 'plural'>, obj: KubeObject, old?: KubeObject): number | undefined {
  const inputs = inputsOf(rt);
  if (!inputs) return undefined;
  if (!old) return 1;
  const gen = old.metadata.generation ?? 1;
  return deepEqual(inputs(obj), inputs(old)) ? gen : gen + 1;
}
