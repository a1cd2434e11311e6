/**
 * The default ClusterRoles and ClusterRoleBindings kube-apiserver makes at start
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy), the ones that matter for what peapod
 * serves: cluster-admin for system:masters; the user-facing admin, edit and view, aggregated
 * from system:aggregate-to-admin/-edit/-view; system:basic-user (the self reviews),
 * system:discovery and system:public-info-viewer for everyone signed in. The aggregate-to
 * roles keep kube's rules for the resources peapod serves and leave out the rest (statefulsets,
 * jobs, ingresses, persistentvolumeclaims, the proxy subresources, ...).
 */
import type { KubeObject } from '../object.js';
import { fromPolicyRule, RBAC_GROUP, rule, type PolicyRule } from './policy-rule.js';

/** Marks every object of the bootstrap policy. */
export const BOOTSTRAP_LABEL = { 'kubernetes.io/bootstrapping': 'rbac-defaults' } as const;
/** Set to "false" by an administrator, the object is left as they made it at the next start. */
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';

const read = ['get', 'list', 'watch'];
const write = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const readWrite = [...read, ...write];

// As NewRule(...).RuleOrDie() builds them: every list sorted.
function sorted(verbs: string[], parts: { groups?: string[]; resources?: string[]; urls?: string[] }): PolicyRule {
  const s = (l?: string[]) => (l ? [...l].sort() : undefined);
  return rule([...verbs].sort(), { groups: s(parts.groups), resources: s(parts.resources), urls: s(parts.urls) });
}

const aggregateLabel = (to: 'admin' | 'edit' | 'view') => `rbac.authorization.k8s.io/aggregate-to-${to}`;

interface DefaultClusterRole {
  name: string;
  labels?: Record<string, string>;
  rules?: PolicyRule[];
  /** Labels the aggregationRule's one selector matches. */
  aggregateFrom?: Record<string, string>;
}

const defaultClusterRoles: DefaultClusterRole[] = [
  { name: 'cluster-admin', rules: [sorted(['*'], { groups: ['*'], resources: ['*'] }), sorted(['*'], { urls: ['*'] })] },
  {
    name: 'system:discovery',
    rules: [sorted(['get'], { urls: ['/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*'] })],
  },
  {
    name: 'system:basic-user',
    rules: [
      sorted(['create'], { groups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] }),
      sorted(['create'], { groups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] }),
    ],
  },
  { name: 'system:public-info-viewer', rules: [sorted(['get'], { urls: ['/livez', '/readyz', '/healthz', '/version', '/version/'] })] },
  { name: 'admin', aggregateFrom: { [aggregateLabel('admin')]: 'true' } },
  { name: 'edit', labels: { [aggregateLabel('admin')]: 'true' }, aggregateFrom: { [aggregateLabel('edit')]: 'true' } },
  { name: 'view', labels: { [aggregateLabel('edit')]: 'true' }, aggregateFrom: { [aggregateLabel('view')]: 'true' } },
  {
    name: 'system:aggregate-to-admin',
    labels: { [aggregateLabel('admin')]: 'true' },
    // (kube also grants create on localsubjectaccessreviews, which peapod does not serve.)
    rules: [sorted(readWrite, { groups: [RBAC_GROUP], resources: ['roles', 'rolebindings'] })],
  },
  {
    name: 'system:aggregate-to-edit',
    labels: { [aggregateLabel('edit')]: 'true' },
    rules: [
      sorted(read, { groups: [''], resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'secrets'] }),
      sorted(['impersonate'], { groups: [''], resources: ['serviceaccounts'] }),
      sorted(write, { groups: [''], resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward'] }),
      sorted(['create'], { groups: [''], resources: ['pods/eviction'] }),
      sorted(write, { groups: [''], resources: ['replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'configmaps', 'secrets', 'events'] }),
      sorted(['create'], { groups: [''], resources: ['serviceaccounts/token'] }),
      sorted(write, { groups: ['apps'], resources: ['deployments', 'deployments/scale', 'replicasets', 'replicasets/scale'] }),
      sorted(write, { groups: ['policy'], resources: ['poddisruptionbudgets'] }),
      sorted(readWrite, { groups: ['coordination.k8s.io'], resources: ['leases'] }),
    ],
  },
  {
    name: 'system:aggregate-to-view',
    labels: { [aggregateLabel('view')]: 'true' },
    rules: [
      sorted(read, { groups: [''], resources: ['pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status', 'endpoints', 'configmaps'] }),
      sorted(read, {
        groups: [''],
        resources: ['limitranges', 'resourcequotas', 'events', 'pods/status', 'resourcequotas/status', 'namespaces/status', 'replicationcontrollers/status', 'pods/log'],
      }),
      // Read access to namespaces at the namespace scope means reading *this* namespace.
      sorted(read, { groups: [''], resources: ['namespaces'] }),
      sorted(read, { groups: ['discovery.k8s.io'], resources: ['endpointslices'] }),
      sorted(read, { groups: ['apps'], resources: ['deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status'] }),
      sorted(read, { groups: ['policy'], resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'] }),
    ],
  },
];

interface DefaultBinding {
  name: string;
  groups: string[];
}

const defaultClusterRoleBindings: DefaultBinding[] = [
  { name: 'cluster-admin', groups: ['system:masters'] },
  { name: 'system:discovery', groups: ['system:authenticated'] },
  { name: 'system:basic-user', groups: ['system:authenticated'] },
  { name: 'system:public-info-viewer', groups: ['system:authenticated', 'system:unauthenticated'] },
];

function defaultMetadata(name: string, labels: Record<string, string> = {}): KubeObject['metadata'] {
  return { name, labels: { ...labels, ...BOOTSTRAP_LABEL }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } };
}

/** The default ClusterRoles, fresh objects on every call (aggregated ones without rules: the aggregation fills them). */
export function bootstrapClusterRoles(): KubeObject[] {
  return defaultClusterRoles.map((r) => {
    const obj: KubeObject = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: defaultMetadata(r.name, r.labels) };
    if (r.aggregateFrom) obj.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { ...r.aggregateFrom } }] };
    if (r.rules) obj.rules = r.rules.map(fromPolicyRule);
    return obj;
  });
}

/** The default ClusterRoleBindings (each binds the ClusterRole of its name), fresh objects on every call. */
export function bootstrapClusterRoleBindings(): KubeObject[] {
  return defaultClusterRoleBindings.map((b) => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: defaultMetadata(b.name),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: b.name },
    subjects: b.groups.map((name) => ({ apiGroup: RBAC_GROUP, kind: 'Group', name })),
  }));
}
