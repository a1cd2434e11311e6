/** Discovery documents: /api, /apis, and the resource list of each group-version. */
import type { ResourceType } from '../api/resource.js';
import { reviewResources } from './reviews.js';

export const scaleGroupVersion = { group: 'autoscaling', version: 'v1' };

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const verbsWithoutDeleteCollection = allVerbs.filter((v) => v !== 'deletecollection');

/**
 * Whether DELETE on the collection is served. Kubernetes serves it for every kind here but
 * namespaces: one request must not be able to delete every namespace (and all they hold).
 */
export function supportsDeleteCollection(rt: Pick<ResourceType, 'group' | 'plural'>): boolean {
  return !(rt.group === '' && rt.plural === 'namespaces');
}

export interface GroupVersion {
  group: string;
  version: string;
}

/** The group-versions served: those of the stored kinds, then those of the reviews (reviews.ts). */
export function groupVersions(types: readonly ResourceType[]): GroupVersion[] {
  const seen = new Map<string, GroupVersion>();
  for (const rt of [...types, ...reviewResources]) seen.set(`${rt.group}/${rt.version}`, { group: rt.group, version: rt.version });
  return [...seen.values()];
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(group: string, versions: string[]) {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(types: readonly ResourceType[]) {
  const groups = new Map<string, string[]>();
  for (const gv of groupVersions(types)) {
    if (!gv.group) continue;
    const list = groups.get(gv.group) ?? [];
    if (!list.includes(gv.version)) list.push(gv.version);
    groups.set(gv.group, list);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([g, vs]) => groupEntry(g, vs)),
  };
}

export function apiGroup(types: readonly ResourceType[], group: string) {
  const versions = groupVersions(types)
    .filter((gv) => gv.group === group)
    .map((gv) => gv.version);
  if (!versions.length) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) };
}

export function apiResourceList(types: readonly ResourceType[], group: string, version: string) {
  const mine = types.filter((rt) => rt.group === group && rt.version === version);
  const reviews = reviewResources.filter((r) => r.group === group && r.version === version);
  if (!mine.length && !reviews.length) return undefined;
  const resources: Record<string, unknown>[] = reviews.map((r) => ({ name: r.plural, singularName: r.singular, namespaced: r.namespaced === true, kind: r.kind, verbs: ['create'] }));
  for (const rt of mine) {
    const entry: Record<string, unknown> = {
      name: rt.plural,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: supportsDeleteCollection(rt) ? allVerbs : verbsWithoutDeleteCollection,
    };
    if (rt.shortNames.length) entry.shortNames = rt.shortNames;
    if (rt.categories.length) entry.categories = rt.categories;
    resources.push(entry);
    if (rt.hasStatus) {
      resources.push({ name: `${rt.plural}/status`, singularName: '', namespaced: rt.namespaced, kind: rt.kind, verbs: ['get', 'patch', 'update'] });
    }
    if (rt.scale) {
      resources.push({
        name: `${rt.plural}/scale`,
        singularName: '',
        namespaced: rt.namespaced,
        group: scaleGroupVersion.group,
        version: scaleGroupVersion.version,
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      });
    }
    for (const sub of rt.extraSubresources ?? []) {
      const spec = subresourceSpecs[sub];
      if (spec) resources.push({ name: `${rt.plural}/${sub}`, singularName: '', namespaced: rt.namespaced, ...spec });
    }
  }
  // kube-apiserver lists them sorted by path ("pods" < "pods/log" < "replicationcontrollers" <
  // "services"), and kubectl keeps that order: it is the order `kubectl get all` prints kinds in.
  resources.sort((a, b) => compareStrings(String(a.name), String(b.name)));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

/** Byte order, as Go's sort.Strings (localeCompare would put "pods/log" and "podsx" differently). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const subresourceSpecs: Record<string, { kind: string; verbs: string[]; group?: string; version?: string }> = {
  binding: { kind: 'Binding', verbs: ['create'] },
  log: { kind: 'Pod', verbs: ['get'] },
  exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
  attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  // Group and version say which Eviction to send; kubectl drain looks for exactly this entry.
  // The budgets evictions honour are policy/v1 poddisruptionbudgets, listed with the other kinds.
  eviction: { kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
  finalize: { kind: 'Namespace', verbs: ['update'] },
  token: { kind: 'TokenRequest', verbs: ['create'], group: 'authentication.k8s.io', version: 'v1' },
};

/** The aggregated discovery versions served (apidiscovery.k8s.io), newest first. */
export type AggregatedDiscoveryVersion = 'v2' | 'v2beta1';

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/**
 * Aggregated discovery (apidiscovery.k8s.io APIGroupDiscoveryList): every group-version with its
 * resources in one document, what kubectl and client-go 1.30+ ask /api and /apis for first.
 * `legacy` says which half: /api (the core group, named "") or /apis (every named group).
 * Built from the same resource lists as the per-version documents, so the two never disagree:
 * subresources ("pods/status") go under their resource, and responseKind carries the group and
 * version a resource list entry names (empty: the group-version's own), as kube-apiserver does.
 */
export function apiGroupDiscoveryList(types: readonly ResourceType[], legacy: boolean, version: AggregatedDiscoveryVersion) {
  const groups = new Map<string, string[]>();
  for (const gv of groupVersions(types)) {
    if ((gv.group === '') !== legacy) continue;
    const versions = groups.get(gv.group) ?? [];
    if (!versions.includes(gv.version)) versions.push(gv.version);
    groups.set(gv.group, versions);
  }
  const items = [...groups].map(([group, versions]) => ({
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: versions.map((v) => ({ version: v, resources: discoveredResources(types, group, v), freshness: 'Current' })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

function discoveredResources(types: readonly ResourceType[], group: string, version: string) {
  const list = apiResourceList(types, group, version)?.resources ?? [];
  const kindOf = (r: Record<string, unknown>): GroupVersionKind => ({
    group: (r.group as string | undefined) ?? '',
    version: (r.version as string | undefined) ?? '',
    kind: r.kind as string,
  });
  const out: Record<string, unknown>[] = [];
  const byName = new Map<string, { subresources: Record<string, unknown>[] }>();
  for (const r of list) {
    const name = r.name as string;
    const slash = name.indexOf('/');
    if (slash >= 0) {
      byName.get(name.slice(0, slash))?.subresources.push({ subresource: name.slice(slash + 1), responseKind: kindOf(r), verbs: r.verbs });
      continue;
    }
    const entry: Record<string, unknown> & { subresources: Record<string, unknown>[] } = {
      resource: name,
      responseKind: kindOf(r),
      scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: r.singularName,
      verbs: r.verbs,
      subresources: [],
    };
    if (r.shortNames) entry.shortNames = r.shortNames;
    if (r.categories) entry.categories = r.categories;
    byName.set(name, entry);
    out.push(entry);
  }
  for (const entry of out) if (!(entry.subresources as unknown[]).length) delete entry.subresources;
  return out;
}
