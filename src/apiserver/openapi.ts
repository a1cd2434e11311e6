/**
 * OpenAPI v3 documents for the served kinds, as kubectl reads them from `/openapi/v3`.
 *
 * Nothing here is a hand-written schema: the property lists come from the model classes of
 * `@kubernetes/client-node` (each has a static `getAttributeTypeMap()`), renamed to Kubernetes'
 * schema names (`V1Pod` → `io.k8s.api.core.v1.Pod`). What the client models do not carry —
 * required fields, list semantics for strategic merge, Quantity-valued maps — is added from
 * small fact tables below. The same compiled types drive `field-validation.ts`.
 *
 * The models are loaded once when this module is first imported (only the ~200 classes reachable
 * from the served kinds, which is ~3x faster than importing the whole model barrel); the documents
 * are built on first use and cached together with their serialized bytes and hashes.
 */
import { createHash } from 'node:crypto';
import type { ResourceType } from '../api/resource.js';
import { supportsDeleteCollection } from './discovery.js';

// ---------------------------------------------------------------------------------------------
// Served resources

/** What the OpenAPI documents need to know about one served resource. */
export type OpenApiResource = Pick<ResourceType, 'group' | 'version' | 'kind' | 'plural' | 'namespaced'> & {
  /** List kind; defaults to `${kind}List`. */
  listKind?: string;
  /** Serves `/status` (get, replace, patch). */
  hasStatus?: boolean;
  /** Serves `/scale` answering an autoscaling/v1 Scale. */
  scale?: unknown;
};

/**
 * The kinds peapod serves. A local table rather than the api registry, so this module stays
 * independent of the kind implementations; the API server may pass its own list instead.
 */
export const servedResources: readonly OpenApiResource[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, hasStatus: true },
  { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, hasStatus: true },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, hasStatus: true },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, hasStatus: true },
  { group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', namespaced: true },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  { group: '', version: 'v1', kind: 'LimitRange', plural: 'limitranges', namespaced: true },
  {
    group: '', version: 'v1', kind: 'ReplicationController', plural: 'replicationcontrollers',
    namespaced: true, hasStatus: true, scale: true,
  },
  { group: '', version: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, hasStatus: true },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, hasStatus: true, scale: true },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, hasStatus: true, scale: true },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },
  { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, hasStatus: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true },
];

/** Group-versions that have a document even when no resource is served from them. */
const extraGroupVersions = [{ group: 'autoscaling', version: 'v1' }];

// ---------------------------------------------------------------------------------------------
// Client model loading

interface AttributeType {
  name: string;
  baseName: string;
  type: string;
  format: string;
}
interface ModelClass {
  getAttributeTypeMap(): AttributeType[];
}

/** Type names in client-node attribute maps that are not model classes. */
const primitiveModels = new Set(['V1MicroTime']);

/** client-node class name of each top-level kind, by "apiVersion/Kind". */
function modelFor(group: string, version: string, kind: string): string {
  if (group === '' && (kind === 'Event' || kind === 'EventList')) return `Core${upper(version)}${kind}`;
  return `${upper(version)}${kind}`;
}

function rootModels(resources: readonly OpenApiResource[]): string[] {
  const roots = new Set([
    'V1Status', 'V1DeleteOptions', 'V1WatchEvent', 'V1APIVersions', 'V1APIGroupList', 'V1APIGroup',
    'V1APIResourceList', 'V1Scale', 'V1Binding', 'V1Eviction',
  ]);
  for (const r of resources) {
    roots.add(modelFor(r.group, r.version, r.kind));
    roots.add(modelFor(r.group, r.version, r.listKind ?? `${r.kind}List`));
  }
  return [...roots];
}

/**
 * Imports the model classes reachable from `roots`, breadth first, one module per class.
 * Each model module is self-contained (its type references are strings), so this is safe.
 */
async function loadModels(roots: string[]): Promise<Map<string, ModelClass>> {
  const loaded = new Map<string, ModelClass>();
  let frontier = roots;
  while (frontier.length > 0) {
    const modules = (await Promise.all(
      frontier.map((name) => import(`@kubernetes/client-node/dist/gen/models/${name}.js`)),
    )) as Record<string, ModelClass | undefined>[];
    const next = new Set<string>();
    frontier.forEach((name, i) => {
      const cls = modules[i]?.[name];
      if (!cls || typeof cls.getAttributeTypeMap !== 'function') {
        throw new Error(`@kubernetes/client-node has no model class ${name}`);
      }
      loaded.set(name, cls);
      for (const attr of cls.getAttributeTypeMap()) {
        for (const ref of attr.type.matchAll(/\b(?:[A-Z][a-z]+)?V\d\w*/g)) {
          if (!primitiveModels.has(ref[0]) && !loaded.has(ref[0])) next.add(ref[0]);
        }
      }
    });
    frontier = [...next].filter((n) => !loaded.has(n));
  }
  return loaded;
}

const models = await loadModels(rootModels(servedResources));

// ---------------------------------------------------------------------------------------------
// Compiled types: client-node attribute types, normalized once

/** A field's type, as both the OpenAPI generator and the field validator see it. */
export type FieldType =
  | { t: 'string'; format?: string }
  | { t: 'integer'; format: 'int32' | 'int64' }
  | { t: 'number' }
  | { t: 'boolean' }
  /** int or string (intstr.IntOrString). */
  | { t: 'intOrString' }
  /** resource.Quantity: a string, or a number kubectl/clients sometimes send. */
  | { t: 'quantity' }
  | { t: 'time'; micro: boolean }
  /** Anything goes (RawExtension, FieldsV1). */
  | { t: 'any'; schema: string }
  | { t: 'array'; items: FieldType }
  | { t: 'map'; values: FieldType }
  | { t: 'object'; model: string };

/** One model, compiled: fields by JSON name. */
export interface CompiledModel {
  /** client-node class name, e.g. "V1PodSpec". */
  model: string;
  /** Kubernetes schema name, e.g. "io.k8s.api.core.v1.PodSpec". */
  schemaName: string;
  fields: Map<string, FieldType>;
}

/** Fields whose client-node type is a plain string (or map of strings) but Kubernetes' is a Quantity. */
const quantityFields: Record<string, string[]> = {
  V1ResourceRequirements: ['limits', 'requests'],
  V1VolumeResourceRequirements: ['limits', 'requests'],
  V1NodeStatus: ['allocatable', 'capacity'],
  V1PodSpec: ['overhead'],
  V1ContainerStatus: ['allocatedResources'],
  V1EmptyDirVolumeSource: ['sizeLimit'],
  V1ResourceFieldSelector: ['divisor'],
  V1ResourceQuotaSpec: ['hard'],
  V1ResourceQuotaStatus: ['hard', 'used'],
  V1LimitRangeItem: ['default', 'defaultRequest', 'max', 'maxLimitRequestRatio', 'min'],
};

/** Schema names of the opaque 'any' fields. */
const anyFieldSchemas: Record<string, string> = {
  'V1ManagedFieldsEntry.fieldsV1': 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'V1WatchEvent.object': 'io.k8s.apimachinery.pkg.runtime.RawExtension',
};

function parseType(type: string, format: string, owner: string, field: string): FieldType {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return { t: 'array', items: parseType(array[1]!, format, owner, field) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { t: 'map', values: parseType(map[1]!, format, owner, field) };
  if (quantityFields[owner]?.includes(field) && type === 'string') return { t: 'quantity' };
  switch (type) {
    case 'string':
      return format ? { t: 'string', format } : { t: 'string' };
    case 'number':
      if (format === 'int32' || format === 'int64') return { t: 'integer', format };
      return { t: 'number' };
    case 'boolean':
      return { t: 'boolean' };
    case 'Date':
      return { t: 'time', micro: false };
    case 'V1MicroTime':
      return { t: 'time', micro: true };
    case 'IntOrString':
      return { t: 'intOrString' };
    case 'any':
    case 'object':
      return { t: 'any', schema: anyFieldSchemas[`${owner}.${field}`] ?? 'io.k8s.apimachinery.pkg.runtime.RawExtension' };
    default:
      if (models.has(type)) return { t: 'object', model: type };
      throw new Error(`openapi: unsupported client-node type ${type} at ${owner}.${field}`);
  }
}

/** Meta types (k8s.io/apimachinery/pkg/apis/meta/v1) among the client-node models. */
const metaModels = new Set([
  'ObjectMeta', 'ListMeta', 'LabelSelector', 'LabelSelectorRequirement', 'OwnerReference',
  'ManagedFieldsEntry', 'Status', 'StatusDetails', 'StatusCause', 'DeleteOptions', 'Preconditions',
  'Condition', 'WatchEvent', 'APIResource', 'APIResourceList', 'APIGroup', 'APIGroupList', 'APIVersions',
  'GroupVersionForDiscovery', 'ServerAddressByClientCIDR',
]);
const autoscalingModels = new Set(['Scale', 'ScaleSpec', 'ScaleStatus']);
const coordinationModels = new Set(['Lease', 'LeaseSpec', 'LeaseList']);
const discoveryModels = new Set(['EndpointSlice', 'EndpointSliceList', 'Endpoint', 'EndpointConditions', 'EndpointHints', 'ForZone', 'ForNode']);
const policyModels = new Set(['PodDisruptionBudget', 'PodDisruptionBudgetList', 'PodDisruptionBudgetSpec', 'PodDisruptionBudgetStatus', 'Eviction']);
// (Subject is RbacV1Subject in client-node: its prefix names the package.)
const rbacModels = new Set([
  'Role', 'RoleList', 'ClusterRole', 'ClusterRoleList', 'RoleBinding', 'RoleBindingList', 'ClusterRoleBinding',
  'ClusterRoleBindingList', 'PolicyRule', 'RoleRef', 'AggregationRule',
]);
const appsModelPrefixes = /^(Deployment|ReplicaSet|RollingUpdateDeployment|DaemonSet|RollingUpdateDaemonSet|StatefulSet|RollingUpdateStatefulSet|ControllerRevision)/;

/**
 * Kubernetes' schema name for a client-node model class. client-node drops the Go package, so
 * the package is recovered from the type name; everything reachable from the served kinds
 * that is not meta, apps, coordination, discovery, policy, rbac or autoscaling lives in core/v1.
 */
export function kubernetesSchemaName(model: string): string {
  const m = /^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/.exec(model);
  if (!m) throw new Error(`openapi: cannot name client-node model ${model}`);
  const [, prefix, ver, type] = m as unknown as [string, string | undefined, string, string];
  const version = ver.toLowerCase();
  if (prefix) return `io.k8s.api.${prefix.toLowerCase()}.${version}.${type}`;
  if (metaModels.has(type)) return `io.k8s.apimachinery.pkg.apis.meta.${version}.${type}`;
  if (autoscalingModels.has(type)) return `io.k8s.api.autoscaling.${version}.${type}`;
  if (coordinationModels.has(type)) return `io.k8s.api.coordination.${version}.${type}`;
  if (discoveryModels.has(type)) return `io.k8s.api.discovery.${version}.${type}`;
  if (policyModels.has(type)) return `io.k8s.api.policy.${version}.${type}`;
  if (rbacModels.has(type)) return `io.k8s.api.rbac.${version}.${type}`;
  if (appsModelPrefixes.test(type)) return `io.k8s.api.apps.${version}.${type}`;
  return `io.k8s.api.core.${version}.${type}`;
}

const compiled = new Map<string, CompiledModel>();
for (const [model, cls] of models) {
  const fields = new Map<string, FieldType>();
  for (const a of cls.getAttributeTypeMap()) fields.set(a.baseName, parseType(a.type, a.format, model, a.baseName));
  compiled.set(model, { model, schemaName: kubernetesSchemaName(model), fields });
}

/** The compiled model for a client-node class name. */
export function compiledModel(model: string): CompiledModel | undefined {
  return compiled.get(model);
}

/** Compiled model of a top-level kind ("v1"/"Pod", "apps/v1"/"DeploymentList", "autoscaling/v1"/"Scale"...). */
export function modelForKind(apiVersion: string, kind: string): CompiledModel | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return kindIndex.get(`${group}/${version}/${kind}`);
}

// ---------------------------------------------------------------------------------------------
// Facts the client models lack

/** Required properties, as Kubernetes marks them (the ones users meet most). */
const requiredFields: Record<string, string[]> = {
  V1PodSpec: ['containers'],
  V1Container: ['name'],
  V1EphemeralContainer: ['name'],
  V1ContainerPort: ['containerPort'],
  V1EnvVar: ['name'],
  V1VolumeMount: ['name', 'mountPath'],
  V1VolumeDevice: ['name', 'devicePath'],
  V1Volume: ['name'],
  V1KeyToPath: ['key', 'path'],
  V1ConfigMapKeySelector: ['key'],
  V1SecretKeySelector: ['key'],
  V1ObjectFieldSelector: ['fieldPath'],
  V1ResourceFieldSelector: ['resource'],
  V1HTTPGetAction: ['port'],
  V1HTTPHeader: ['name', 'value'],
  V1TCPSocketAction: ['port'],
  V1GRPCAction: ['port'],
  V1HostAlias: ['ip'],
  V1HostPathVolumeSource: ['path'],
  V1PersistentVolumeClaimVolumeSource: ['claimName'],
  V1PodReadinessGate: ['conditionType'],
  V1PodSchedulingGate: ['name'],
  V1Sysctl: ['name', 'value'],
  V1SeccompProfile: ['type'],
  V1AppArmorProfile: ['type'],
  V1ContainerResizePolicy: ['resourceName', 'restartPolicy'],
  V1NodeSelector: ['nodeSelectorTerms'],
  V1NodeSelectorRequirement: ['key', 'operator'],
  V1PreferredSchedulingTerm: ['weight', 'preference'],
  V1PodAffinityTerm: ['topologyKey'],
  V1WeightedPodAffinityTerm: ['weight', 'podAffinityTerm'],
  V1TopologySpreadConstraint: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'],
  V1Taint: ['key', 'effect'],
  V1PodCondition: ['type', 'status'],
  V1NodeCondition: ['type', 'status'],
  V1NamespaceCondition: ['type', 'status'],
  V1ReplicationControllerCondition: ['type', 'status'],
  V1DeploymentCondition: ['type', 'status'],
  V1ReplicaSetCondition: ['type', 'status'],
  V1Condition: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  V1NodeAddress: ['type', 'address'],
  V1ContainerStatus: ['name', 'ready', 'restartCount', 'image', 'imageID'],
  V1DeploymentSpec: ['selector', 'template'],
  V1ReplicaSetSpec: ['selector'],
  V1ServicePort: ['port'],
  V1ScopedResourceSelectorRequirement: ['scopeName', 'operator'],
  V1LimitRangeSpec: ['limits'],
  V1LimitRangeItem: ['type'],
  V1EndpointAddress: ['ip'],
  CoreV1EndpointPort: ['port'],
  V1EndpointSlice: ['addressType', 'endpoints'],
  V1Endpoint: ['addresses'],
  V1ForZone: ['name'],
  V1ForNode: ['name'],
  CoreV1Event: ['metadata', 'involvedObject'],
  V1OwnerReference: ['apiVersion', 'kind', 'name', 'uid'],
  V1LabelSelectorRequirement: ['key', 'operator'],
  V1Binding: ['target'],
  V1APIResourceList: ['groupVersion', 'resources'],
  V1APIResource: ['name', 'singularName', 'namespaced', 'kind', 'verbs'],
  V1APIGroup: ['name', 'versions'],
  V1APIGroupList: ['groups'],
  V1APIVersions: ['versions', 'serverAddressByClientCIDRs'],
  V1GroupVersionForDiscovery: ['groupVersion', 'version'],
  V1WatchEvent: ['type', 'object'],
  V1PolicyRule: ['verbs'],
  V1RoleRef: ['apiGroup', 'kind', 'name'],
  RbacV1Subject: ['kind', 'name'],
  V1RoleBinding: ['roleRef'],
  V1ClusterRoleBinding: ['roleRef'],
};

interface ListRule {
  /** x-kubernetes-list-type. */
  listType: 'map' | 'set' | 'atomic';
  /** x-kubernetes-list-map-keys (listType map). */
  mapKeys?: string[];
  /** x-kubernetes-patch-merge-key; defaults to the first map key. */
  mergeKey?: string;
  /** x-kubernetes-patch-strategy. */
  patchStrategy?: string;
}

const byName: ListRule = { listType: 'map', mapKeys: ['name'], patchStrategy: 'merge' };
const byType: ListRule = { listType: 'map', mapKeys: ['type'], patchStrategy: 'merge' };
const atomic: ListRule = { listType: 'atomic' };

/** Strategic-merge and server-side-apply semantics of the lists users edit most. */
const listRules: Record<string, ListRule> = {
  'V1PodSpec.containers': byName,
  'V1PodSpec.initContainers': byName,
  'V1PodSpec.ephemeralContainers': byName,
  'V1PodSpec.volumes': { ...byName, patchStrategy: 'merge,retainKeys' },
  'V1PodSpec.imagePullSecrets': byName,
  'V1PodSpec.schedulingGates': byName,
  'V1PodSpec.resourceClaims': { ...byName, patchStrategy: 'merge,retainKeys' },
  'V1PodSpec.hostAliases': { listType: 'map', mapKeys: ['ip'], patchStrategy: 'merge' },
  'V1PodSpec.topologySpreadConstraints': {
    listType: 'map', mapKeys: ['topologyKey', 'whenUnsatisfiable'], mergeKey: 'topologyKey', patchStrategy: 'merge',
  },
  'V1PodSpec.tolerations': atomic,
  'V1PodSpec.readinessGates': atomic,
  'V1Container.ports': { listType: 'map', mapKeys: ['containerPort', 'protocol'], patchStrategy: 'merge' },
  'V1Container.env': byName,
  'V1Container.envFrom': atomic,
  'V1Container.volumeMounts': { listType: 'map', mapKeys: ['mountPath'], patchStrategy: 'merge' },
  'V1Container.volumeDevices': { listType: 'map', mapKeys: ['devicePath'], patchStrategy: 'merge' },
  'V1Container.resizePolicy': atomic,
  'V1Container.command': atomic,
  'V1Container.args': atomic,
  'V1EphemeralContainer.ports': { listType: 'map', mapKeys: ['containerPort', 'protocol'], patchStrategy: 'merge' },
  'V1EphemeralContainer.env': byName,
  'V1EphemeralContainer.volumeMounts': { listType: 'map', mapKeys: ['mountPath'], patchStrategy: 'merge' },
  'V1PodStatus.conditions': byType,
  'V1PodStatus.podIPs': { listType: 'map', mapKeys: ['ip'], patchStrategy: 'merge' },
  'V1PodStatus.hostIPs': { listType: 'atomic', mergeKey: 'ip', patchStrategy: 'merge' },
  'V1NodeStatus.conditions': byType,
  'V1NodeStatus.addresses': byType,
  'V1NodeSpec.taints': atomic,
  'V1ResourceQuotaSpec.scopes': atomic,
  'V1ScopeSelector.matchExpressions': atomic,
  'V1ScopedResourceSelectorRequirement.values': atomic,
  'V1LimitRangeSpec.limits': atomic,
  'V1NamespaceStatus.conditions': byType,
  'V1ReplicationControllerStatus.conditions': byType,
  'V1DeploymentStatus.conditions': byType,
  'V1ReplicaSetStatus.conditions': byType,
  'V1ServiceStatus.conditions': byType,
  'V1ServiceSpec.ports': { listType: 'map', mapKeys: ['port', 'protocol'], patchStrategy: 'merge' },
  'V1ServiceSpec.clusterIPs': atomic,
  'V1ObjectMeta.ownerReferences': { listType: 'map', mapKeys: ['uid'], patchStrategy: 'merge' },
  'V1ObjectMeta.finalizers': { listType: 'set', patchStrategy: 'merge' },
  'V1ObjectMeta.managedFields': atomic,
  'V1LabelSelector.matchExpressions': atomic,
  'V1EndpointSubset.addresses': atomic,
  'V1EndpointSubset.notReadyAddresses': atomic,
  'V1EndpointSubset.ports': atomic,
  'V1ServiceAccount.secrets': { listType: 'map', mapKeys: ['name'], patchStrategy: 'merge' },
  'V1ServiceAccount.imagePullSecrets': atomic,
  'V1EndpointSlice.endpoints': atomic,
  'V1EndpointSlice.ports': atomic,
  'V1Endpoint.addresses': { listType: 'set' },
  'V1EndpointHints.forZones': atomic,
  'V1EndpointHints.forNodes': atomic,
  'V1PodDisruptionBudgetStatus.conditions': byType,
  // Every RBAC list is `+listType=atomic`, without a patch strategy.
  'V1Role.rules': atomic,
  'V1ClusterRole.rules': atomic,
  'V1AggregationRule.clusterRoleSelectors': atomic,
  'V1PolicyRule.verbs': atomic,
  'V1PolicyRule.apiGroups': atomic,
  'V1PolicyRule.resources': atomic,
  'V1PolicyRule.resourceNames': atomic,
  'V1PolicyRule.nonResourceURLs': atomic,
  'V1RoleBinding.subjects': atomic,
  'V1ClusterRoleBinding.subjects': atomic,
};

/**
 * Struct-valued fields whose Go tags carry a patch strategy: `replace` makes a strategic merge
 * patch (and kubectl's client-side apply diff) swap the whole value rather than merge it.
 */
const structPatchStrategies: Record<string, string> = {
  'V1PodDisruptionBudgetSpec.selector': 'replace',
};

/** The list rule for `model.field`, if Kubernetes declares one. */
export function listRule(model: string, field: string): ListRule | undefined {
  return listRules[`${model}.${field}`];
}

// ---------------------------------------------------------------------------------------------
// Component schemas

type Schema = Record<string, unknown>;
type GVK = { group: string; version: string; kind: string };

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Named schemas for the types client-node models as primitives. */
const primitiveSchemas: Record<string, Schema> = {
  // Both as kube-apiserver's v3 documents have them: a oneOf without `type`, which is also what
  // makes `kubectl explain` print <Quantity> and <IntOrString> rather than <string>.
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true,
  },
  [`${META}.Time`]: { type: 'string', format: 'date-time' },
  [`${META}.MicroTime`]: { type: 'string', format: 'date-time' },
  [`${META}.FieldsV1`]: { type: 'object' },
  [`${META}.Patch`]: { type: 'object' },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { type: 'object' },
};

function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

function fieldSchema(ft: FieldType): Schema {
  switch (ft.t) {
    case 'string':
      return ft.format ? { type: 'string', format: ft.format } : { type: 'string' };
    case 'integer':
      return { type: 'integer', format: ft.format };
    case 'number':
      return { type: 'number', format: 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'intOrString':
      return ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    case 'quantity':
      return ref('io.k8s.apimachinery.pkg.api.resource.Quantity');
    case 'time':
      return ref(`${META}.${ft.micro ? 'MicroTime' : 'Time'}`);
    case 'any':
      return ref(ft.schema);
    case 'array':
      return { type: 'array', items: fieldSchema(ft.items) };
    case 'map':
      return { type: 'object', additionalProperties: fieldSchema(ft.values) };
    case 'object':
      return ref(compiled.get(ft.model)!.schemaName);
  }
}

/** Schema names a field type refers to. */
function refsOf(ft: FieldType, out: Set<string>): void {
  switch (ft.t) {
    case 'array':
      return refsOf(ft.items, out);
    case 'map':
      return refsOf(ft.values, out);
    case 'object':
      out.add(ft.model);
  }
}

function modelSchema(c: CompiledModel, gvks: GVK[] | undefined): Schema {
  const properties: Record<string, Schema> = {};
  for (const [name, ft] of [...c.fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const s = fieldSchema(ft);
    const rule = listRules[`${c.model}.${name}`];
    if (rule && ft.t === 'array') {
      s['x-kubernetes-list-type'] = rule.listType;
      if (rule.mapKeys) s['x-kubernetes-list-map-keys'] = rule.mapKeys;
      const mergeKey = rule.mergeKey ?? rule.mapKeys?.[0];
      if (rule.patchStrategy && mergeKey && rule.listType !== 'set') s['x-kubernetes-patch-merge-key'] = mergeKey;
      if (rule.patchStrategy) s['x-kubernetes-patch-strategy'] = rule.patchStrategy;
    }
    const structStrategy = structPatchStrategies[`${c.model}.${name}`];
    // A $ref takes no siblings: kube-apiserver wraps it in a one-element allOf to add them.
    properties[name] = structStrategy && ft.t === 'object' ? { allOf: [s], 'x-kubernetes-patch-strategy': structStrategy } : s;
  }
  const schema: Schema = { type: 'object', properties };
  const required = requiredFields[c.model]?.filter((f) => c.fields.has(f));
  if (required?.length) schema.required = required;
  if (gvks) schema['x-kubernetes-group-version-kind'] = gvks;
  return schema;
}

/** Every schema (with its transitive references) needed to describe `models`, by name. */
function componentSchemas(rootsWithGvk: Map<string, GVK[]>): Record<string, Schema> {
  const seen = new Set<string>();
  const queue = [...rootsWithGvk.keys()];
  const prims = new Set<string>();
  while (queue.length) {
    const m = queue.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    const c = compiled.get(m)!;
    const refs = new Set<string>();
    for (const ft of c.fields.values()) {
      refsOf(ft, refs);
      collectPrimitive(ft, prims);
    }
    queue.push(...refs);
  }
  const out: Record<string, Schema> = {};
  const entries: [string, Schema][] = [...seen].map((m) => {
    const c = compiled.get(m)!;
    return [c.schemaName, modelSchema(c, rootsWithGvk.get(m))];
  });
  for (const p of prims) entries.push([p, primitiveSchemas[p]!]);
  entries.push([`${META}.Patch`, primitiveSchemas[`${META}.Patch`]!]);
  for (const [name, s] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[name] = s;
  return out;
}

function collectPrimitive(ft: FieldType, out: Set<string>): void {
  switch (ft.t) {
    case 'array':
      return collectPrimitive(ft.items, out);
    case 'map':
      return collectPrimitive(ft.values, out);
    case 'intOrString':
      out.add('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
      return;
    case 'quantity':
      out.add('io.k8s.apimachinery.pkg.api.resource.Quantity');
      return;
    case 'time':
      out.add(`${META}.${ft.micro ? 'MicroTime' : 'Time'}`);
      return;
    case 'any':
      out.add(ft.schema);
  }
}

// ---------------------------------------------------------------------------------------------
// Paths

type Operation = Record<string, unknown>;

function upper(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "Core", "Apps", "Coordination": the group part of Kubernetes operation ids. */
function groupIdent(group: string): string {
  return group === '' ? 'Core' : upper(group.split('.')[0]!);
}

function gvPathOf(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function queryParam(name: string, type: 'string' | 'boolean' | 'integer'): Schema {
  return { name, in: 'query', schema: { type, uniqueItems: true } };
}

const pretty = queryParam('pretty', 'string');
const dryRun = queryParam('dryRun', 'string');
const fieldManager = queryParam('fieldManager', 'string');
const fieldValidation = queryParam('fieldValidation', 'string');
const force = queryParam('force', 'boolean');
const listParams = [
  queryParam('allowWatchBookmarks', 'boolean'),
  queryParam('continue', 'string'),
  queryParam('fieldSelector', 'string'),
  queryParam('labelSelector', 'string'),
  queryParam('limit', 'integer'),
  queryParam('resourceVersion', 'string'),
  queryParam('resourceVersionMatch', 'string'),
  queryParam('sendInitialEvents', 'boolean'),
  queryParam('timeoutSeconds', 'integer'),
  queryParam('watch', 'boolean'),
];
const deleteParams = [
  dryRun,
  queryParam('gracePeriodSeconds', 'integer'),
  queryParam('ignoreStoreReadErrorWithClusterBreakingPotential', 'boolean'),
  queryParam('orphanDependents', 'boolean'),
  queryParam('propagationPolicy', 'string'),
];

function pathParam(name: string): Schema {
  return { name, in: 'path', required: true, schema: { type: 'string', uniqueItems: true } };
}

const readTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function content(schemaName: string, types = readTypes): Schema {
  const out: Schema = {};
  for (const t of types) out[t] = { schema: ref(schemaName) };
  return out;
}

function responses(schemaName: string, codes: string[]): Schema {
  const out: Schema = {};
  for (const code of codes) out[code] = { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', content: content(schemaName) };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

function op(
  action: string,
  id: string,
  gvk: GVK,
  responseSchema: string,
  codes: string[],
  parameters: Schema[],
  body?: Schema,
): Operation {
  const o: Operation = {
    tags: [`${groupIdent(gvk.group).toLowerCase()}_${gvk.version}`],
    operationId: id,
    parameters,
    responses: responses(responseSchema, codes),
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: gvk.group, kind: gvk.kind, version: gvk.version },
  };
  if (body) o.requestBody = body;
  return o;
}

function jsonBody(schemaName: string): Schema {
  return { content: { '*/*': { schema: ref(schemaName) } }, required: true };
}

const patchBody: Schema = {
  content: Object.fromEntries(
    [
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ].map((t) => [t, { schema: ref(`${META}.Patch`) }]),
  ),
  required: true,
};

/** get / put / patch on one object (or one of its subresources) answering `gvk`. */
function itemOps(idStem: string, gvk: GVK, schemaName: string): Record<string, Operation> {
  return {
    get: op('get', `read${idStem}`, gvk, schemaName, ['200'], []),
    put: op('put', `replace${idStem}`, gvk, schemaName, ['200', '201'], [dryRun, fieldManager, fieldValidation], jsonBody(schemaName)),
    patch: op('patch', `patch${idStem}`, gvk, schemaName, ['200', '201'], [dryRun, fieldManager, fieldValidation, force], patchBody),
  };
}

function resourcePaths(r: OpenApiResource, out: Record<string, unknown>): void {
  const gvk: GVK = { group: r.group, version: r.version, kind: r.kind };
  const listKind = r.listKind ?? `${r.kind}List`;
  const schema = compiled.get(modelFor(r.group, r.version, r.kind))!.schemaName;
  const listSchema = compiled.get(modelFor(r.group, r.version, listKind))!.schemaName;
  const gi = `${groupIdent(r.group)}${upper(r.version)}`;
  const scope = r.namespaced ? 'Namespaced' : '';
  const base = `/${gvPathOf(r.group, r.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
  const scopeParams = r.namespaced ? [pathParam('namespace'), pretty] : [pretty];

  out[base] = {
    get: op('list', `list${gi}${scope}${r.kind}`, gvk, listSchema, ['200'], listParams),
    post: op('post', `create${gi}${scope}${r.kind}`, gvk, schema, ['200', '201', '202'], [dryRun, fieldManager, fieldValidation], jsonBody(schema)),
    ...(supportsDeleteCollection(r)
      ? { delete: op('deletecollection', `delete${gi}Collection${scope}${r.kind}`, gvk, `${META}.Status`, ['200'], [...deleteParams, ...listParams], jsonBody(`${META}.DeleteOptions`)) }
      : {}),
    parameters: scopeParams,
  };
  out[`${base}/{name}`] = {
    ...itemOps(`${gi}${scope}${r.kind}`, gvk, schema),
    delete: op('delete', `delete${gi}${scope}${r.kind}`, gvk, `${META}.Status`, ['200', '202'], deleteParams, jsonBody(`${META}.DeleteOptions`)),
    parameters: [pathParam('name'), ...scopeParams],
  };
  if (r.hasStatus) {
    out[`${base}/{name}/status`] = { ...itemOps(`${gi}${scope}${r.kind}Status`, gvk, schema), parameters: [pathParam('name'), ...scopeParams] };
  }
  if (r.scale) {
    const scaleGvk: GVK = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
    out[`${base}/{name}/scale`] = {
      ...itemOps(`${gi}${scope}${r.kind}Scale`, scaleGvk, compiled.get('V1Scale')!.schemaName),
      parameters: [pathParam('name'), ...scopeParams],
    };
  }
  if (r.namespaced) {
    out[`/${gvPathOf(r.group, r.version)}/${r.plural}`] = {
      get: op('list', `list${gi}${r.kind}ForAllNamespaces`, gvk, listSchema, ['200'], listParams),
      parameters: [pretty],
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Documents

interface BuiltDocument {
  doc: object;
  json: string;
  hash: string;
}

interface BuiltSet {
  docs: Map<string, BuiltDocument>;
  index: object;
}

const built = new WeakMap<readonly OpenApiResource[], BuiltSet>();

/** Group-versions every document lists the meta kinds under (Status, DeleteOptions, WatchEvent). */
function groupVersions(resources: readonly OpenApiResource[]): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const gv of [...resources, ...extraGroupVersions]) seen.set(`${gv.group}/${gv.version}`, { group: gv.group, version: gv.version });
  return [...seen.values()];
}

function document(title: string, paths: Record<string, unknown>, roots: Map<string, GVK[]>): object {
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths,
    components: {
      schemas: componentSchemas(roots),
      securitySchemes: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header' } },
    },
    security: [{ BearerToken: [] }],
    'x-peapod-document': title,
  };
}

/** A discovery endpoint's get operation (no GVK: discovery documents are not resources). */
function discoveryGet(id: string, tag: string, schemaName: string): Operation {
  return {
    tags: [tag],
    operationId: id,
    responses: {
      '200': { description: 'OK', content: content(schemaName, ['application/json', 'application/yaml']) },
      '401': { description: 'Unauthorized' },
    },
  };
}

function buildAll(resources: readonly OpenApiResource[]): BuiltSet {
  const gvs = groupVersions(resources);
  const metaGvks = (kind: string): GVK[] => gvs.map((gv) => ({ group: gv.group, version: gv.version, kind }));
  const docs = new Map<string, object>();

  for (const gv of gvs) {
    const mine = resources.filter((r) => r.group === gv.group && r.version === gv.version);
    const paths: Record<string, unknown> = {};
    const roots = new Map<string, GVK[]>([
      ['V1Status', metaGvks('Status')],
      ['V1DeleteOptions', metaGvks('DeleteOptions')],
      ['V1WatchEvent', metaGvks('WatchEvent')],
      ['V1APIResourceList', [{ group: '', version: 'v1', kind: 'APIResourceList' }]],
    ]);
    paths[`/${gvPathOf(gv.group, gv.version)}/`] = {
      get: discoveryGet(`get${groupIdent(gv.group)}${upper(gv.version)}APIResources`, `${groupIdent(gv.group).toLowerCase()}_${gv.version}`, `${META}.APIResourceList`),
    };
    for (const r of mine) {
      resourcePaths(r, paths);
      roots.set(modelFor(r.group, r.version, r.kind), [{ group: r.group, version: r.version, kind: r.kind }]);
      const listKind = r.listKind ?? `${r.kind}List`;
      roots.set(modelFor(r.group, r.version, listKind), [{ group: r.group, version: r.version, kind: listKind }]);
    }
    // The scale subresource answers autoscaling/v1 Scale from the resource's own group-version.
    if (mine.some((r) => r.scale) || (gv.group === 'autoscaling' && gv.version === 'v1')) {
      roots.set('V1Scale', [{ group: 'autoscaling', version: 'v1', kind: 'Scale' }]);
    }
    if (gv.group === '' && mine.some((r) => r.kind === 'Pod')) {
      // pods/binding is how the scheduler binds; describe its body.
      roots.set('V1Binding', [{ group: '', version: 'v1', kind: 'Binding' }]);
      paths['/api/v1/namespaces/{namespace}/pods/{name}/binding'] = {
        post: op('post', 'createCoreV1NamespacedPodBinding', { group: '', version: 'v1', kind: 'Binding' },
          compiled.get('V1Binding')!.schemaName, ['200', '201', '202'], [dryRun, fieldManager, fieldValidation], jsonBody(compiled.get('V1Binding')!.schemaName)),
        parameters: [pathParam('name'), pathParam('namespace'), pretty],
      };
      // pods/eviction is what kubectl drain posts: a policy/v1 Eviction, served from core/v1.
      const eviction = { group: 'policy', version: 'v1', kind: 'Eviction' };
      roots.set('V1Eviction', [eviction]);
      paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'] = {
        post: op('post', 'createCoreV1NamespacedPodEviction', eviction,
          compiled.get('V1Eviction')!.schemaName, ['200', '201', '202'], [dryRun, fieldManager, fieldValidation], jsonBody(compiled.get('V1Eviction')!.schemaName)),
        parameters: [pathParam('name'), pathParam('namespace'), pretty],
      };
    }
    docs.set(gvPathOf(gv.group, gv.version), document(gvPathOf(gv.group, gv.version), sortKeys(paths), roots));
  }

  docs.set('api', document('api', {
    '/api/': { get: discoveryGet('getCoreAPIVersions', 'core', `${META}.APIVersions`) },
  }, new Map([['V1APIVersions', [{ group: '', version: 'v1', kind: 'APIVersions' }]]])));
  docs.set('apis', document('apis', {
    '/apis/': { get: discoveryGet('getAPIVersions', 'apis', `${META}.APIGroupList`) },
  }, new Map([['V1APIGroupList', [{ group: '', version: 'v1', kind: 'APIGroupList' }]]])));
  for (const group of new Set(gvs.map((gv) => gv.group).filter((g) => g !== ''))) {
    docs.set(`apis/${group}`, document(`apis/${group}`, {
      [`/apis/${group}/`]: { get: discoveryGet(`get${groupIdent(group)}APIGroup`, groupIdent(group).toLowerCase(), `${META}.APIGroup`) },
    }, new Map([['V1APIGroup', [{ group: '', version: 'v1', kind: 'APIGroup' }]]])));
  }

  const out = new Map<string, BuiltDocument>();
  const indexPaths: Record<string, { serverRelativeURL: string }> = {};
  for (const [path, doc] of docs) {
    const json = JSON.stringify(doc);
    const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
    out.set(path, { doc, json, hash });
    indexPaths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  }
  return { docs: out, index: { paths: sortKeys(indexPaths) } };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function builtFor(resources: readonly OpenApiResource[]): BuiltSet {
  let b = built.get(resources);
  if (!b) {
    for (const r of resources) {
      if (!compiled.has(modelFor(r.group, r.version, r.kind))) {
        throw new Error(`openapi: no client-node model for ${r.group}/${r.version} ${r.kind}`);
      }
    }
    b = buildAll(resources);
    built.set(resources, b);
  }
  return b;
}

/** The `/openapi/v3` discovery document: one `serverRelativeURL` (with content hash) per document. */
export function openapiV3Index(resources: readonly OpenApiResource[] = servedResources): object {
  return builtFor(resources).index;
}

/** The OpenAPI 3.0 document for "api/v1", "apis/apps/v1", "api", "apis", "apis/apps"...; undefined if not served. */
export function openapiV3Document(gvPath: string, resources: readonly OpenApiResource[] = servedResources): object | undefined {
  return builtFor(resources).docs.get(stripSlashes(gvPath))?.doc;
}

/**
 * The same document serialized, with its hash: serve `json` as is (it is built once), use
 * `hash` for the ETag, and answer `Cache-Control: public, immutable` when the request's
 * `hash` query parameter matches, as kube-apiserver does.
 */
export function openapiV3DocumentBytes(
  gvPath: string,
  resources: readonly OpenApiResource[] = servedResources,
): { json: string; hash: string } | undefined {
  const d = builtFor(resources).docs.get(stripSlashes(gvPath));
  return d && { json: d.json, hash: d.hash };
}

function stripSlashes(p: string): string {
  return p.replace(/^\/+|\/+$/g, '');
}

// Kinds field validation knows, by "group/version/Kind" (read by modelForKind above, after load).
const kindIndex = new Map<string, CompiledModel>();
for (const r of servedResources) {
  for (const kind of [r.kind, r.listKind ?? `${r.kind}List`]) {
    const c = compiled.get(modelFor(r.group, r.version, kind));
    if (c) kindIndex.set(`${r.group}/${r.version}/${kind}`, c);
  }
}
for (const gv of groupVersions(servedResources)) {
  kindIndex.set(`${gv.group}/${gv.version}/DeleteOptions`, compiled.get('V1DeleteOptions')!);
  kindIndex.set(`${gv.group}/${gv.version}/Status`, compiled.get('V1Status')!);
}
kindIndex.set('autoscaling/v1/Scale', compiled.get('V1Scale')!);
kindIndex.set('/v1/Binding', compiled.get('V1Binding')!);
