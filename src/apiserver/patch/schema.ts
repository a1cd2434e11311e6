/**
 * Merge metadata for the kinds peapod serves: which lists are keyed (and by what), which are
 * sets of primitives, and which are atomic. Kubernetes keeps this in Go struct tags
 * (`patchStrategy`, `patchMergeKey`) for strategic merge patch and in `+listType` /
 * `+listMapKey` / `+structType` markers for server-side apply; the two mostly agree, and where
 * they differ (e.g. container ports: SMP merges by containerPort alone, SSA keys on
 * containerPort+protocol) a list carries both.
 *
 * Only fields whose merge behaviour differs from the default are listed. Anything not listed
 * is inferred from its value: objects merge field by field, arrays are atomic (replaced
 * whole), everything else is a scalar. That default is also what unknown kinds get.
 */

export type Schema = MapSchema | ListSchema | ScalarSchema;

export interface ScalarSchema {
  type: 'scalar';
}

export interface MapSchema {
  type: 'map';
  /** Declared struct fields; a field not listed here is a map entry described by `elements`. */
  fields?: Record<string, Schema>;
  /** Schema of undeclared entries (a Go map's values); inferred from the value when absent. */
  elements?: Schema;
  /** `+structType=atomic` / `+mapType=atomic`: replaced and owned as one value. */
  atomic?: boolean;
  /** SMP `patchStrategy:"retainKeys"`: a patch may carry `$retainKeys` to drop unlisted fields. */
  retainKeys?: boolean;
  /** SMP `patchStrategy:"replace"` on a struct field: a patch's value replaces it whole, never merges. */
  replace?: boolean;
  /**
   * A non-pointer Go struct: it exists in every typed object, so Kubernetes never records it
   * as added or removed by itself (no `"."` in managedFields), only its contents.
   */
  implicit?: boolean;
}

export interface ListSchema {
  type: 'list';
  /** SSA list type: `map` items are objects identified by `keys`, `set` items are distinct primitives. */
  listType: 'map' | 'set' | 'atomic';
  /** SSA `+listMapKey`s, in declaration order (only for listType map). */
  keys?: string[];
  /** Values a missing key field defaults to (e.g. port protocol "TCP"), so items still match. */
  keyDefaults?: Record<string, unknown>;
  /** SMP `patchStrategy`: merge, or replace the whole list. Derived from listType when absent. */
  patchStrategy?: 'merge' | 'replace';
  /** SMP `patchMergeKey`; defaults to the first SSA key. */
  patchMergeKey?: string;
  /** SMP retainKeys on each item (volumes, resourceClaims). */
  retainKeys?: boolean;
  /** Schema of each item. */
  items?: Schema;
  /** A required (non-omitempty) list: like MapSchema.implicit. */
  implicit?: boolean;
}

export interface GroupKind {
  group: string;
  kind: string;
}

export const scalar: ScalarSchema = { type: 'scalar' };

function struct(fields: Record<string, Schema> = {}, opts: Partial<MapSchema> = {}): MapSchema {
  return { type: 'map', fields, ...opts };
}

function mapOf(elements: Schema, opts: Partial<MapSchema> = {}): MapSchema {
  return { type: 'map', fields: {}, elements, ...opts };
}

function keyed(keys: string[], items: Schema = struct(), opts: Partial<ListSchema> = {}): ListSchema {
  return { type: 'list', listType: 'map', keys, items, ...opts };
}

const set: ListSchema = { type: 'list', listType: 'set', items: scalar };
const atomicList: ListSchema = { type: 'list', listType: 'atomic' };
const stringMap = mapOf(scalar);
const atomicStringMap = mapOf(scalar, { atomic: true });
/** metav1.LabelSelector is `+structType=atomic`. */
const labelSelector = struct({}, { atomic: true });
/** Every `conditions` list of the built-in kinds merges by `type`. */
const conditions = keyed(['type']);
const tcp = { protocol: 'TCP' };

export const objectMeta = struct({
  labels: stringMap,
  annotations: stringMap,
  finalizers: set,
  ownerReferences: keyed(['uid']),
  managedFields: atomicList,
});

const resources = struct({
  limits: stringMap,
  requests: stringMap,
  // No patch strategy in the Go tags, so SMP replaces it; SSA keys it by name.
  claims: keyed(['name'], struct(), { patchStrategy: 'replace' }),
});

const container = struct({
  command: atomicList,
  args: atomicList,
  // SMP: patchMergeKey containerPort; SSA: listMapKey containerPort + protocol.
  ports: keyed(['containerPort', 'protocol'], struct(), { keyDefaults: tcp }),
  envFrom: atomicList,
  env: keyed(['name']),
  resources,
  resizePolicy: atomicList,
  volumeMounts: keyed(['mountPath']),
  volumeDevices: keyed(['devicePath']),
});

export const podSpec = struct(
  {
  volumes: keyed(['name'], struct(), { retainKeys: true }),
  initContainers: keyed(['name'], container),
  containers: keyed(['name'], container, { implicit: true }),
  ephemeralContainers: keyed(['name'], container),
  nodeSelector: atomicStringMap,
  imagePullSecrets: keyed(['name']),
  tolerations: atomicList,
  hostAliases: keyed(['ip'], struct({ hostnames: atomicList })),
  readinessGates: atomicList,
  // SMP: patchMergeKey topologyKey; SSA: topologyKey + whenUnsatisfiable.
  topologySpreadConstraints: keyed(['topologyKey', 'whenUnsatisfiable'], struct({ labelSelector, matchLabelKeys: atomicList })),
  schedulingGates: keyed(['name']),
  resourceClaims: keyed(['name'], struct(), { retainKeys: true }),
  overhead: stringMap,
  },
  { implicit: true },
);

const podStatus = struct(
  {
  conditions,
  podIPs: keyed(['ip']),
  hostIPs: keyed(['ip']),
  initContainerStatuses: atomicList,
  containerStatuses: atomicList,
  ephemeralContainerStatuses: atomicList,
  },
  { implicit: true },
);

export const podTemplateSpec = struct({ metadata: { ...objectMeta, implicit: true }, spec: podSpec }, { implicit: true });

const workloadStatus = struct({ conditions }, { implicit: true });
/** `spec` and `status` of the built-in kinds are non-pointer structs. */
const implicit = { implicit: true };

const kinds: Record<string, MapSchema> = {
  '/Pod': struct({ metadata: objectMeta, spec: podSpec, status: podStatus }),
  '/Service': struct({
    metadata: objectMeta,
    spec: struct(
      {
        // SMP: patchMergeKey port; SSA: port + protocol.
        ports: keyed(['port', 'protocol'], struct(), { keyDefaults: tcp }),
        selector: atomicStringMap,
        clusterIPs: atomicList,
        externalIPs: atomicList,
        loadBalancerSourceRanges: atomicList,
        ipFamilies: atomicList,
      },
      implicit,
    ),
    status: struct({ conditions, loadBalancer: struct({ ingress: atomicList }, implicit) }, implicit),
  }),
  // EndpointSubset lists carry no patch strategy: a subsets patch replaces them all.
  '/Endpoints': struct({ metadata: objectMeta, subsets: atomicList }),
  // Limits carry no patch strategy and are `+listType=atomic`: a patch replaces them all.
  '/LimitRange': struct({ metadata: objectMeta, spec: struct({ limits: atomicList }, implicit) }),
  '/Node': struct({
    metadata: objectMeta,
    // Taints have no patch strategy and are `+listType=atomic`.
    spec: struct({ podCIDRs: set, taints: atomicList }, implicit),
    status: struct(
      {
      capacity: stringMap,
      allocatable: stringMap,
      conditions,
      addresses: keyed(['type']),
      images: atomicList,
      volumesInUse: atomicList,
      volumesAttached: atomicList,
      },
      implicit,
    ),
  }),
  '/Namespace': struct({
    metadata: objectMeta,
    spec: struct({ finalizers: atomicList }, implicit),
    status: struct({ conditions }, implicit),
  }),
  '/ReplicationController': struct({
    metadata: objectMeta,
    spec: struct({ selector: atomicStringMap, template: podTemplateSpec }, implicit),
    status: workloadStatus,
  }),
  '/ConfigMap': struct({ metadata: objectMeta, data: stringMap, binaryData: stringMap }),
  '/Secret': struct({ metadata: objectMeta, data: stringMap, stringData: stringMap }),
  // hard and used are maps of quantities; scopes and scope selector terms `+listType=atomic`.
  '/ResourceQuota': struct({
    metadata: objectMeta,
    spec: struct({ hard: stringMap, scopes: atomicList, scopeSelector: struct({ matchExpressions: atomicList }, implicit) }, implicit),
    status: struct({ hard: stringMap, used: stringMap }, implicit),
  }),
  // secrets: patchMergeKey name, `+listType=map`; imagePullSecrets `+listType=atomic`.
  '/ServiceAccount': struct({ metadata: objectMeta, secrets: keyed(['name']), imagePullSecrets: atomicList }),
  '/Event': struct({ metadata: objectMeta }),
  'apps/Deployment': struct({
    metadata: objectMeta,
    spec: struct({
      selector: labelSelector,
      template: podTemplateSpec,
      strategy: struct({}, { retainKeys: true, implicit: true }),
    }, implicit),
    status: workloadStatus,
  }),
  'apps/ReplicaSet': struct({
    metadata: objectMeta,
    spec: struct({ selector: labelSelector, template: podTemplateSpec }, implicit),
    status: workloadStatus,
  }),
  'coordination.k8s.io/Lease': struct({ metadata: objectMeta }),
  // Endpoints and ports are `+listType=atomic` without a patch strategy; addresses a set.
  'discovery.k8s.io/EndpointSlice': struct({
    metadata: objectMeta,
    endpoints: { type: 'list', listType: 'atomic', items: struct({ addresses: set }) },
    ports: atomicList,
  }),
  // The selector is `patchStrategy:"replace"` (and an atomic struct, as every LabelSelector).
  'policy/PodDisruptionBudget': struct({
    metadata: objectMeta,
    spec: struct({ selector: { ...labelSelector, replace: true } }, implicit),
    status: struct({ conditions, disruptedPods: stringMap }, implicit),
  }),
  // Every RBAC list (rules and their verbs, groups, resources ...; subjects; aggregation
  // selectors) is `+listType=atomic` without a patch strategy; roleRef is a non-pointer struct.
  'rbac.authorization.k8s.io/Role': struct({ metadata: objectMeta, rules: atomicList }),
  'rbac.authorization.k8s.io/ClusterRole': struct({ metadata: objectMeta, rules: atomicList, aggregationRule: struct({ clusterRoleSelectors: atomicList }) }),
  'rbac.authorization.k8s.io/RoleBinding': struct({ metadata: objectMeta, subjects: atomicList, roleRef: struct({}, implicit) }),
  'rbac.authorization.k8s.io/ClusterRoleBinding': struct({ metadata: objectMeta, subjects: atomicList, roleRef: struct({}, implicit) }),
};

/** Every object has ObjectMeta; beyond that an unknown kind is all defaults (lists atomic). */
const unknownKind = struct({ metadata: objectMeta });

/** The schema of a top-level object of this kind. */
export function schemaFor(gk: GroupKind): MapSchema {
  return kinds[`${gk.group}/${gk.kind}`] ?? unknownKind;
}

/** Whether peapod has merge metadata for this kind (strategic merge patch is refused otherwise). */
export function isKnownKind(gk: GroupKind): boolean {
  return `${gk.group}/${gk.kind}` in kinds;
}

/** The group part of an apiVersion: "" for "v1", "apps" for "apps/v1". */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** What an object the table says nothing about is: a struct with no declared fields (shared, never modified). */
const inferredStruct: MapSchema = Object.freeze(struct()) as MapSchema;

/** Schema of `value` when the table says nothing: objects are structs, arrays atomic. */
export function inferred(value: unknown): Schema {
  if (Array.isArray(value)) return atomicList;
  if (typeof value === 'object' && value !== null) return inferredStruct;
  return scalar;
}

/** The schema of one field of a map, falling back to the map's element schema, then inference. */
export function fieldSchema(parent: Schema | undefined, name: string, value: unknown): Schema {
  if (parent?.type === 'map') {
    const declared = parent.fields?.[name];
    if (declared) return declared;
    if (parent.elements) return parent.elements;
  }
  return inferred(value);
}

/** Whether `name` is a declared struct field of `parent` (SSA tracks undeclared map entries as wholes). */
export function isDeclaredField(parent: Schema, name: string): boolean {
  if (parent.type !== 'map') return true;
  return parent.elements === undefined || parent.fields?.[name] !== undefined;
}

/** Item schema of a list, falling back to inference from the item. */
export function itemSchema(list: ListSchema, item: unknown): Schema {
  return list.items ?? inferred(item);
}

/** The SMP view of a list: how a strategic patch combines it with the original. */
export function smpStrategy(list: ListSchema): { merge: boolean; mergeKey?: string } {
  const strategy = list.patchStrategy ?? (list.listType === 'atomic' ? 'replace' : 'merge');
  if (strategy === 'replace') return { merge: false };
  return { merge: true, mergeKey: list.listType === 'map' ? (list.patchMergeKey ?? list.keys?.[0]) : undefined };
}
