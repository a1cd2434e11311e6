/**
 * Server-side apply (`application/apply-patch+yaml`) and the field ownership bookkeeping
 * (`metadata.managedFields`) that every write updates, after kube-apiserver's fieldmanager and
 * structured-merge-diff.
 *
 * Each manager owns a set of fields. An Apply sets the fields of its configuration, removes the
 * fields its previous configuration had and this one drops (unless someone else owns them), and
 * fails with a 409 Conflict when it would change a field another manager owns, unless forced,
 * in which case ownership moves to the applier. An Update (ordinary create/update/patch) takes
 * every field it changes from whoever owned it.
 */
import { ApiError, badRequest } from '../../api/errors.js';
import { clone, isPlainObject, type KubeObject, type ManagedFieldsEntry } from '../../api/object.js';
import { FieldSet, fieldElement, formatPath, type FieldPath } from './fieldpath.js';
import { jsonEqual } from './json-patch.js';
import { groupOf, schemaFor, type GroupKind, type MapSchema } from './schema.js';
import { addedFieldsV1, compare, merge, removeFields, toFieldSet } from './typed.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The manager Kubernetes charges with an object's fields when it is first applied to without managedFields. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/** Fields nobody owns: identity and bookkeeping the server maintains itself. */
const UNOWNED = FieldSet.of(
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map(
    (f) => ['f:metadata', fieldElement(f)],
  ),
);

const UNOWNED_METADATA = new Set(
  ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map(fieldElement),
);
const UNOWNED_TOP = new Set(['f:apiVersion', 'f:kind', 'f:metadata']);

/** System metadata a configuration may carry as null (kubectl emits `creationTimestamp: null`); never applied. */
const SYSTEM_METADATA = ['creationTimestamp', 'uid', 'resourceVersion', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  fields: FieldSet;
}

/** A manager whose stored fields are kept in their encoded form because the write leaves them alone. */
type EncodedManager = Omit<Manager, 'fields'> & { fieldsV1: Record<string, unknown> };
type Tracked = Manager | EncodedManager;

/** Managers are the same entry when these match; an applier's apiVersion is not part of it. */
function identity(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([m.manager, m.operation, m.operation === 'Apply' ? '' : m.apiVersion, m.subresource ?? '']);
}

/**
 * Reads managedFields. Entries that cannot be decoded are dropped, as kube-apiserver resets
 * broken managed fields rather than failing the write; entries with the same identity merge.
 */
function decodeManagers(entries: unknown): Manager[] {
  if (!Array.isArray(entries)) return [];
  const byId = new Map<string, Manager>();
  for (const raw of entries as unknown[]) {
    if (!isPlainObject(raw)) continue;
    const e = raw as ManagedFieldsEntry;
    if (typeof e.manager !== 'string' || (e.operation !== 'Apply' && e.operation !== 'Update')) continue;
    let fields: FieldSet;
    try {
      fields = FieldSet.fromFieldsV1(e.fieldsV1 ?? {});
    } catch {
      continue;
    }
    const m: Manager = {
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      subresource: e.subresource || undefined,
      time: e.time,
      fields,
    };
    const prev = byId.get(identity(m));
    if (prev) prev.fields = prev.fields.union(fields);
    else byId.set(identity(m), m);
  }
  return [...byId.values()];
}

/** Writes managedFields in Kubernetes' order: Apply before Update, then by time, name, version. */
function encodeManagers(managers: Tracked[]): ManagedFieldsEntry[] {
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);
  return managers
    .filter((m) => ('fields' in m ? !m.fields.isEmpty() : Object.keys(m.fieldsV1).length > 0))
    .sort(
      (a, b) =>
        a.operation.localeCompare(b.operation) ||
        seconds(a.time) - seconds(b.time) ||
        cmp(a.manager, b.manager) ||
        cmp(a.apiVersion, b.apiVersion) ||
        cmp(a.subresource ?? '', b.subresource ?? ''),
    )
    .map((m) => {
      const e: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
      if (m.time !== undefined) e.time = m.time;
      e.fieldsType = 'FieldsV1';
      e.fieldsV1 = 'fields' in m ? m.fields.toFieldsV1() : m.fieldsV1;
      if (m.subresource) e.subresource = m.subresource;
      return e;
    });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function withoutManagedFields(obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj) return undefined;
  const copy = clone(obj);
  if (isPlainObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

/** Like withoutManagedFields but shares everything below metadata: for read-only comparisons. */
function viewWithoutManagedFields(obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj) return undefined;
  if (!isPlainObject(obj.metadata) || obj.metadata.managedFields === undefined) return obj;
  const { managedFields: _mf, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function withManagedFields(obj: KubeObject, managers: Tracked[]): KubeObject {
  const entries = encodeManagers(managers);
  const metadata = { ...(obj.metadata ?? {}) };
  if (entries.length > 0) metadata.managedFields = entries;
  else delete metadata.managedFields;
  return { ...obj, metadata };
}

function kindOf(obj: KubeObject, given?: GroupKind): GroupKind {
  return given ?? { group: groupOf(obj.apiVersion ?? ''), kind: obj.kind ?? '' };
}

export interface UpdateManagedFieldsOptions {
  /** The object before the write; undefined on create. */
  old: KubeObject | undefined;
  /** The object about to be stored; its managedFields, if the client changed them, are taken as given. */
  updated: KubeObject;
  /** The request's fieldManager (kubectl-client-side-apply, kubectl-edit, a controller's name …). */
  manager: string;
  operation?: 'Update';
  /** "status", "scale" … when the write came through a subresource. */
  subresource?: string;
  /** RFC 3339 time recorded on the manager's entry. */
  now: string;
  /** Defaults to the group and kind of `updated`. */
  kind?: GroupKind;
  /**
   * Top-level fields this write can't set and so never owns, as Kubernetes' reset fields:
   * `status` for writes to a kind's main resource when it has a status subresource, `spec`
   * for writes through status.
   */
  resetFields?: readonly string[];
}

/** `obj` without the given top-level fields (sharing everything else). */
function withoutFields(obj: KubeObject, fields: readonly string[] | undefined): KubeObject {
  if (!fields?.length || !fields.some((f) => f in obj)) return obj;
  const view: KubeObject = { ...obj };
  for (const f of fields) delete view[f];
  return view;
}

/**
 * Records an ordinary write in managedFields: every field the write added or changed becomes
 * the manager's (and is taken from all other managers), fields it removed leave every set.
 * Returns `updated` with new managedFields; `updated` itself is not modified. Sending
 * `managedFields: []` clears tracking, as in Kubernetes.
 */
export function updateManagedFields(opts: UpdateManagedFieldsOptions): KubeObject {
  const { old, updated, manager, subresource, now } = opts;
  const schema = schemaFor(kindOf(updated, opts.kind));
  const apiVersion = updated.apiVersion ?? old?.apiVersion ?? '';

  const given = updated.metadata?.managedFields;
  if (Array.isArray(given) && given.length === 0 && old?.metadata?.managedFields?.length) {
    return withManagedFields(withoutManagedFields(updated)!, []);
  }
  if (old === undefined && given === undefined) {
    return createdManagedFields(updated, withoutFields(updated, opts.resetFields), schema, manager, apiVersion, subresource, now);
  }
  // A client that edits managedFields (kubectl edit, a migration) means them; otherwise the
  // stored ones are the truth, whatever stale copy the client echoed back.
  const stored = old?.metadata?.managedFields;
  const start = given !== undefined && !jsonEqual(given, stored) ? given : stored;

  const before = withoutFields(viewWithoutManagedFields(old) ?? ({} as KubeObject), opts.resetFields);
  const after = viewWithoutManagedFields(updated)!;
  const change = compare(before, withoutFields(after, opts.resetFields), schema);
  const taken = change.added.union(change.modified).difference(UNOWNED);
  const self = { manager, operation: 'Update' as const, apiVersion, subresource };

  // The stored entries were written by this code, so an entry the write does not touch can
  // keep its encoded fields as they are; only a client's own entries are decoded in full.
  const selfId = identity(self);
  const { managers, mine } =
    (start === stored ? storedManagers(stored, change.removed, taken, selfId) : undefined) ??
    decodedManagers(start, change.removed, taken, selfId);
  if (!taken.isEmpty()) {
    const owner = mine ?? { ...self, fields: new FieldSet() };
    if (!mine) managers.push(owner);
    owner.fields = owner.fields.union(taken);
    owner.time = now;
  }
  return withManagedFields(
    after,
    managers.map((m) => ('fields' in m ? { ...m, fields: m.fields.difference(UNOWNED) } : m)),
  );
}

/** Every manager decoded, less what the write removed, and less what it took unless it is the writer's own. */
function decodedManagers(entries: unknown, removed: FieldSet, taken: FieldSet, selfId: string): { managers: Tracked[]; mine?: Manager } {
  const managers = decodeManagers(entries);
  let mine: Manager | undefined;
  for (const m of managers) {
    m.fields = m.fields.difference(removed);
    if (identity(m) === selfId) mine = m;
    else m.fields = m.fields.difference(taken);
  }
  return { managers, mine };
}

/** Whether some path is a member both of the encoded set `v1` and of `set`. */
function sharesMember(v1: Record<string, unknown>, set: FieldSet): boolean {
  for (const [pe, child] of set.entries()) {
    const sub = v1[pe];
    if (!isPlainObject(sub)) continue;
    if (child.isMember() && ('.' in sub || Object.keys(sub).length === 0)) return true;
    if (sharesMember(sub, child)) return true;
  }
  return false;
}

/**
 * decodedManagers over stored entries, decoding only the entries the write changes: the
 * writer's own, and whoever owned a removed, taken or unowned path. Undefined when the entries
 * are not in the shape this code writes (then the caller decodes them all).
 */
function storedManagers(stored: unknown, removed: FieldSet, taken: FieldSet, selfId: string): { managers: Tracked[]; mine?: Manager } | undefined {
  if (stored !== undefined && !Array.isArray(stored)) return undefined;
  const seen = new Set<string>();
  const managers: Tracked[] = [];
  let mine: Manager | undefined;
  for (const raw of (stored ?? []) as unknown[]) {
    if (!isPlainObject(raw)) return undefined;
    const e = raw as ManagedFieldsEntry;
    if (typeof e.manager !== 'string' || (e.operation !== 'Apply' && e.operation !== 'Update') || !isPlainObject(e.fieldsV1)) return undefined;
    const head = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion ?? '', subresource: e.subresource || undefined, time: e.time };
    const id = identity(head);
    if (seen.has(id)) return undefined;
    seen.add(id);
    const isSelf = id === selfId;
    const v1 = e.fieldsV1;
    if (!isSelf && !sharesMember(v1, removed) && !sharesMember(v1, taken) && !sharesMember(v1, UNOWNED)) {
      managers.push({ ...head, fieldsV1: v1 });
      continue;
    }
    let fields: FieldSet;
    try {
      fields = FieldSet.fromFieldsV1(v1).difference(removed);
    } catch {
      return undefined;
    }
    const m: Manager = { ...head, fields: isSelf ? fields : fields.difference(taken) };
    if (isSelf) mine = m;
    managers.push(m);
  }
  return { managers, mine };
}

/**
 * updateManagedFields for a create without managedFields: the manager owns everything `view`
 * (the object less its reset fields) sets but the unowned bookkeeping, encoded in one walk.
 */
function createdManagedFields(
  obj: KubeObject,
  view: KubeObject,
  schema: MapSchema,
  manager: string,
  apiVersion: string,
  subresource: string | undefined,
  now: string,
): KubeObject {
  const metadata = obj.metadata;
  const fieldsV1 = addedFieldsV1(view, schema, (parent, pe) =>
    parent === view ? UNOWNED_TOP.has(pe) : parent === metadata && UNOWNED_METADATA.has(pe),
  );
  if (Object.keys(fieldsV1).length === 0) return obj;
  const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion, time: now, fieldsType: 'FieldsV1', fieldsV1 };
  if (subresource) entry.subresource = subresource;
  return { ...obj, metadata: { ...(obj.metadata ?? {}), managedFields: [entry] } };
}

export interface ServerSideApplyOptions {
  /** The stored object, or undefined when the apply creates it. */
  live: KubeObject | undefined;
  /** The applied configuration (parsed apply-patch body). */
  applied: KubeObject;
  /** The request's fieldManager (kubectl sends "kubectl"). */
  manager: string;
  /** `force=true` (kubectl --force-conflicts): take conflicting fields instead of failing. */
  force: boolean;
  /** The version the request addressed, e.g. "apps/v1"; the configuration must use it. */
  apiVersion: string;
  /** RFC 3339 time recorded on the applier's entry. */
  now: string;
  /** Defaults to the group of `apiVersion` and the configuration's kind. */
  kind?: GroupKind;
  subresource?: string;
}

/**
 * Merges an applied configuration into the live object and updates managedFields. Throws 400
 * for a malformed configuration, 422 for lists it cannot key, and 409 Conflict (one cause per
 * field) when it would change fields other managers own and `force` is false.
 */
export function serverSideApply(opts: ServerSideApplyOptions): KubeObject {
  const { live, manager, force, apiVersion, now, subresource } = opts;
  const applied = validateConfiguration(opts.applied, apiVersion);
  const schema = schemaFor(opts.kind ?? { group: groupOf(apiVersion), kind: applied.kind as string });

  let managers = live ? decodeManagers(live.metadata?.managedFields) : [];
  const liveBase = withoutManagedFields(live) ?? {};
  if (live && managers.length === 0) {
    // An object nobody tracked yet (created before tracking, or reset): charge its fields to a
    // placeholder so the first applier still hears about values it would overwrite.
    const all = compare({}, liveBase, schema).added.difference(UNOWNED);
    if (!all.isEmpty()) managers = [{ manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion, fields: all }];
  }

  const selfId = identity({ manager, operation: 'Apply', apiVersion, subresource });
  const previous = managers.find((m) => identity(m) === selfId);
  const others = managers.filter((m) => m !== previous);
  const configured = toFieldSet(applied, schema).difference(UNOWNED);

  let result = merge(liveBase, applied, schema) as KubeObject;
  if (previous) {
    // Fields this manager applied before and has now dropped go, unless someone else still owns them.
    const ownedByOthers = others.reduce((acc, m) => acc.union(m.fields), new FieldSet());
    const dropped = previous.fields.difference(configured).difference(ownedByOthers).difference(UNOWNED);
    result = (removeFields(result, dropped, schema) ?? {}) as KubeObject;
  }

  const change = compare(liveBase, result, schema);
  const changed = change.added.union(change.modified);
  const conflicts = others
    .map((m) => ({ m, paths: m.fields.intersection(changed) }))
    .filter((c) => !c.paths.isEmpty());
  if (conflicts.length > 0 && !force) {
    const allowed = conflictsAllowedByLastApplied(live, manager, schema);
    const remaining = conflicts
      .map((c) => ({ m: c.m, paths: allowed ? c.paths.difference(allowed) : c.paths }))
      .filter((c) => !c.paths.isEmpty());
    if (remaining.length > 0) throw conflictError(remaining);
  }

  for (const m of others) m.fields = m.fields.difference(changed).difference(change.removed).difference(UNOWNED);
  const contentChanged = !jsonEqual(liveBase, result);
  const self: Manager = {
    manager,
    operation: 'Apply',
    apiVersion,
    subresource,
    // Like Kubernetes, a no-op apply keeps the old timestamp so the object stays unchanged.
    time: contentChanged || !previous || !jsonEqual(previous.fields.toFieldsV1(), configured.toFieldsV1()) ? now : previous.time,
    fields: configured,
  };

  if (manager === 'kubectl') syncLastApplied(result, applied);
  return withManagedFields(result, [...others, self]);
}

function validateConfiguration(applied: unknown, apiVersion: string): KubeObject {
  if (!isPlainObject(applied)) throw badRequest('apply patch must be a single object with apiVersion, kind and metadata');
  if (typeof applied.apiVersion !== 'string' || applied.apiVersion === '') throw badRequest('apiVersion must be set in apply patch');
  if (typeof applied.kind !== 'string' || applied.kind === '') throw badRequest('kind must be set in apply patch');
  if (applied.apiVersion !== apiVersion) {
    throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${applied.apiVersion}, expected: ${apiVersion}`);
  }
  if (applied.metadata !== undefined && !isPlainObject(applied.metadata)) throw badRequest('metadata must be an object in apply patch');
  const config = clone(applied) as KubeObject;
  config.metadata = config.metadata ?? {};
  const managed = config.metadata.managedFields;
  if (managed !== undefined && managed !== null) throw badRequest('metadata.managedFields must be nil');
  delete config.metadata.managedFields;
  for (const f of SYSTEM_METADATA) if (config.metadata[f] === null) delete config.metadata[f];
  return config;
}

/**
 * kubectl's upgrade path from client-side to server-side apply: when the manager is "kubectl"
 * and the object carries a last-applied-configuration, conflicts on fields that configuration
 * names are not conflicts, because the user applied them before.
 */
function conflictsAllowedByLastApplied(live: KubeObject | undefined, manager: string, schema: MapSchema): FieldSet | undefined {
  if (manager !== 'kubectl') return undefined;
  const text = live?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  try {
    return toFieldSet(JSON.parse(text), schema);
  } catch {
    return undefined;
  }
}

/** Keeps an existing last-applied annotation in step with server-side applies by kubectl. */
function syncLastApplied(result: KubeObject, applied: KubeObject): void {
  const annotations = result.metadata?.annotations;
  if (!annotations || annotations[LAST_APPLIED_ANNOTATION] === undefined) return;
  const config = clone(applied);
  const own = config.metadata?.annotations;
  if (own) {
    delete own[LAST_APPLIED_ANNOTATION];
    if (Object.keys(own).length === 0) delete config.metadata.annotations;
  }
  result.metadata.annotations = { ...annotations, [LAST_APPLIED_ANNOTATION]: JSON.stringify(config) };
}

/** How Kubernetes names a manager in conflict messages. */
function printManager(m: Manager): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

function conflictError(conflicts: { m: Manager; paths: FieldSet }[]): ApiError {
  const flat: { m: Manager; path: FieldPath }[] = [];
  const sorted = [...conflicts].sort((a, b) => cmp(identity(a.m), identity(b.m)));
  for (const c of sorted) for (const path of c.paths.paths()) flat.push({ m: c.m, path });
  const causes = flat.map(({ m, path }) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(m)}`,
    field: formatPath(path),
  }));
  let message: string;
  if (flat.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(flat[0].m)}: ${formatPath(flat[0].path)}`;
  } else {
    const lines: string[] = [];
    for (const c of sorted) {
      lines.push(`conflicts with ${printManager(c.m)}:`);
      for (const p of c.paths.paths()) lines.push(`- ${formatPath(p)}`);
    }
    message = `Apply failed with ${flat.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}
