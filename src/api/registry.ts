/**
 * Every resource type peapod serves, and the lookups the API server and discovery need:
 * by URL (group, version, plural), by kind, and by the names kubectl accepts ("po",
 * "pods", "pod", "deployments.apps", "Deployment").
 */
import type { ResourceType } from './resource.js';
import { configmaps } from './kinds/configmaps.js';
import { deployments } from './kinds/deployments.js';
import { endpoints } from './kinds/endpoints.js';
import { endpointslices } from './kinds/endpointslices.js';
import { events } from './kinds/events.js';
import { leases } from './kinds/leases.js';
import { limitranges } from './kinds/limitranges.js';
import { namespaces } from './kinds/namespaces.js';
import { nodes } from './kinds/nodes.js';
import { poddisruptionbudgets } from './kinds/poddisruptionbudgets.js';
import { pods } from './kinds/pods.js';
import { replicasets } from './kinds/replicasets.js';
import { replicationcontrollers } from './kinds/replicationcontrollers.js';
import { resourcequotas } from './kinds/resourcequotas.js';
import { clusterrolebindings, rolebindings } from './kinds/rolebindings.js';
import { clusterroles, roles } from './kinds/roles.js';
import { secrets } from './kinds/secrets.js';
import { serviceaccounts } from './kinds/serviceaccounts.js';
import { services } from './kinds/services.js';

export const allResourceTypes: readonly ResourceType[] = [
  namespaces,
  nodes,
  pods,
  services,
  endpoints,
  events,
  limitranges,
  replicationcontrollers,
  resourcequotas,
  configmaps,
  secrets,
  serviceaccounts,
  deployments,
  replicasets,
  leases,
  endpointslices,
  poddisruptionbudgets,
  clusterrolebindings,
  clusterroles,
  rolebindings,
  roles,
];

/** The resource served at /api[s]/<group>/<version>/.../<plural>, if any ('' is the core group). */
export function resourceTypeFor(group: string, version: string, plural: string): ResourceType | undefined {
  return allResourceTypes.find((rt) => rt.group === group && rt.version === version && rt.plural === plural);
}

/** The resource type for an object's apiVersion ("v1", "apps/v1") and kind. */
export function resourceTypeForKind(apiVersion: string, kind: string): ResourceType | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return allResourceTypes.find((rt) => rt.group === group && rt.version === version && rt.kind === kind);
}

/**
 * Resolves what a user typed for a resource, as kubectl does with discovery: a plural,
 * singular, short name or kind, optionally qualified with a group ("deployments.apps") or a
 * version and group ("deployments.v1.apps"). Case-insensitive. Core types win ties.
 */
export function resolveResource(name: string): ResourceType | undefined {
  const lower = name.toLowerCase();
  const matches = (rt: ResourceType, n: string) =>
    rt.plural === n || rt.singular === n || rt.kind.toLowerCase() === n || rt.shortNames.includes(n);
  for (const rt of allResourceTypes) if (matches(rt, lower)) return rt;
  for (const rt of allResourceTypes) {
    if (!rt.group) continue;
    for (const qualifier of [`.${rt.group}`, `.${rt.version}.${rt.group}`]) {
      if (lower.endsWith(qualifier) && matches(rt, lower.slice(0, -qualifier.length))) return rt;
    }
  }
  return undefined;
}

/** Resource types that belong to a kubectl category ("all"). */
export function resourcesInCategory(category: string): ResourceType[] {
  return allResourceTypes.filter((rt) => rt.categories.includes(category));
}

export interface GroupVersions {
  /** '' for the core group served under /api. */
  group: string;
  versions: string[];
  preferredVersion: string;
}

/** The API groups and versions served, core first, in the order discovery lists them. */
export function apiGroups(): GroupVersions[] {
  const out: GroupVersions[] = [];
  for (const rt of allResourceTypes) {
    let g = out.find((x) => x.group === rt.group);
    if (!g) {
      g = { group: rt.group, versions: [], preferredVersion: rt.version };
      out.push(g);
    }
    if (!g.versions.includes(rt.version)) g.versions.push(rt.version);
  }
  return out.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : 0));
}

/** The resource types in one group version, for /api/v1 and /apis/<group>/<version>. */
export function resourcesIn(group: string, version: string): ResourceType[] {
  return allResourceTypes.filter((rt) => rt.group === group && rt.version === version);
}
