/**
 * ObjectRegistry: the generic REST storage every served kind goes through. It owns the
 * object lifecycle rules Kubernetes applies to all kinds (uid, resourceVersion, generation,
 * creationTimestamp, generateName, namespace checks, finalizers and deletionTimestamp,
 * status/spec separation, graceful pod deletion) and delegates kind-specific rules to the
 * kind's ResourceType. It reads and writes only through the Store.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ResourceType } from '../api/resource.js';
import { apiVersionOf } from '../api/resource.js';
import type { KubeObject } from '../api/object.js';
import { clone, isPlainObject, omitEmptyMetadata } from '../api/object.js';
import { jsonEqual } from './patch/json-patch.js';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  gone,
  invalid,
  notFound,
  tooLargeResourceVersion,
  type FieldError,
} from '../api/errors.js';
import type { KeyValue, Store, Watcher } from '../storage/interface.js';
import { AlreadyExistsError, ConflictError, GoneError, NotFoundError } from '../storage/errors.js';
import type { Clock } from '../util/clock.js';
import { rfc3339 } from '../util/clock.js';
import type { ObjectFilter } from './selectors.js';
import { immutable, validateObjectMeta } from '../api/validation.js';
import { podQOSClass } from '../api/kinds/pods.js';
import { nextGeneration } from '../api/generation.js';
import type { User } from './auth.js';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /**
   * Who asks (after impersonation), for admission that answers per user (RBAC's escalation
   * checks); absent for the server's own writes.
   */
  user?: User;
}

/** Called just before a write is stored, after defaulting and validation; may change the object or throw. */
export type AdmissionHook = (
  op: 'create' | 'update',
  rt: ResourceType,
  obj: KubeObject,
  old: KubeObject | undefined,
  /** The write's options: a dryRun write is checked like any other but must change nothing. */
  opts?: WriteOptions,
) => void | Promise<void>;

/**
 * Mutating admission (addMutatingAdmission): called on create and update after defaulting and
 * before validation, as Kubernetes runs its mutating plugins before the object is validated, so
 * what a hook fills in is validated like the rest. It may change the object or throw, and must
 * cope with objects that validation will refuse.
 */
export type MutatingAdmissionHook = AdmissionHook;

/**
 * Hears of a write this registry made, as soon as the store has it and before the writer's
 * caller does: the object as stored (ADDED, MODIFIED) or as it was deleted (DELETED). Must not throw.
 */
export type WriteObserver = (type: 'ADDED' | 'MODIFIED' | 'DELETED', rt: ResourceType, obj: KubeObject) => void;

/** Records managed fields on a non-apply write (server-side apply bookkeeping). */
export type ManagedFieldsHook = (args: {
  old: KubeObject | undefined;
  updated: KubeObject;
  manager: string;
  subresource?: string;
  now: string;
  /** Top-level fields the write never owns (Kubernetes' reset fields). */
  resetFields?: readonly string[];
}) => KubeObject;

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** The deprecated orphanDependents as the client sent it (the policy above already says what it means). */
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** What a delete did: the object as deleted, or as marked for deletion. */
export interface DeleteResult {
  object: KubeObject;
  /** Gone from storage (or would be, under dryRun); false when it waits on finalizers or a pod's grace period. */
  deleted: boolean;
}

export interface ListOptions {
  filter?: ObjectFilter;
  /** Return the items' stored JSON in `raw` and leave `items` empty (no parse when there is no filter). */
  raw?: boolean;
  limit?: number;
  continue?: string;
  /** resourceVersionMatch=Exact: the list as of this revision (410 once compacted). */
  revision?: number;
  /** resourceVersionMatch=NotOlderThan: the list must be at least this fresh. */
  minRevision?: number;
}

export interface ListResult {
  items: KubeObject[];
  /** With ListOptions.raw: the items' JSON (resourceVersion included) instead of objects. */
  raw?: string[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/**
 * How long a read at a resourceVersion the store has not reached waits for it, and how often
 * it looks: kube-apiserver's watch cache blocks such reads for 3 s (blockTimeout).
 */
const revisionWaitMs = 3000;
const revisionPollMs = 50;

export type WatchSink = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject) => void;

const terminalPodPhases = new Set(['Succeeded', 'Failed']);

/**
 * What a write to `rt` (through `subresource`) can't set, so its manager never owns it: the
 * server decides status on the main resource of kinds with a status subresource, and writes
 * through status keep the spec.
 */
function resetFields(rt: ResourceType, subresource?: string): readonly string[] | undefined {
  if (subresource === 'status') return ['spec'];
  return rt.hasStatus ? ['status'] : undefined;
}

export class ObjectRegistry {
  private readonly admission: AdmissionHook[] = [];
  private readonly mutatingAdmission: MutatingAdmissionHook[] = [];
  private readonly writeObservers: WriteObserver[] = [];
  managedFields?: ManagedFieldsHook;
  /** Phase of a namespace as last seen by a watch, if known (set by the namespace lifecycle loop). */
  namespaceCache?: (name: string) => 'Active' | 'Terminating' | undefined;

  constructor(
    readonly store: Store,
    private readonly clock: Clock,
    private readonly lookupNamespaceType: () => ResourceType,
  ) {}

  addAdmission(hook: AdmissionHook): void {
    this.admission.push(hook);
  }

  /** Adds a mutating admission hook; hooks run in the order added, all before any validating one. */
  addMutatingAdmission(hook: MutatingAdmissionHook): void {
    this.mutatingAdmission.push(hook);
  }

  /** Registers an observer of this registry's own writes (caches that must see them at once). */
  observeWrites(observer: WriteObserver): void {
    this.writeObservers.push(observer);
  }

  private written(type: 'ADDED' | 'MODIFIED' | 'DELETED', rt: ResourceType, obj: KubeObject): KubeObject {
    for (const observe of this.writeObservers) observe(type, rt, obj);
    return obj;
  }

  /** "/registry/pods/default/nginx", "/registry/apps/deployments/ns/x", "/registry/nodes/n1". */
  keyPrefix(rt: ResourceType, namespace?: string): string {
    const base = `/registry/${rt.group ? rt.group + '/' : ''}${rt.plural}/`;
    return rt.namespaced && namespace ? `${base}${namespace}/` : base;
  }

  key(rt: ResourceType, namespace: string | undefined, name: string): string {
    return this.keyPrefix(rt, rt.namespaced ? namespace : undefined) + name;
  }

  /**
   * Recently decoded versions by "revision key": a store may hand each watcher its own copy of
   * an event (etcd sends one per watch), and a version is the same object whoever asks.
   */
  private readonly shared = new Map<string, KubeObject>();

  /**
   * decode() for watch fan-out: one object per stored version, shared by every watcher that
   * gets the event, with its wire form attached (rawJSONOf). Callers must not change it.
   */
  decodeShared(kv: KeyValue): KubeObject {
    const id = `${kv.modRevision}\u0000${kv.key}`;
    let obj = this.shared.get(id);
    if (!obj) {
      obj = withRawJSON(this.decode(kv), this.rawJSON(kv));
      // Watchers get an event within the same turn or close to it: a short memory is enough.
      if (this.shared.size >= 512) this.shared.delete(this.shared.keys().next().value!);
      this.shared.set(id, obj);
    }
    return obj;
  }

  decode(kv: KeyValue): KubeObject {
    const obj = JSON.parse(kv.value) as KubeObject;
    obj.metadata.resourceVersion = String(kv.modRevision);
    return obj;
  }

  /**
   * The stored JSON with its resourceVersion put in, without parsing it: objects are stored
   * metadata-first, so the version goes right after `{"metadata":{`. Lists and create
   * responses are answered from these strings.
   */
  rawJSON(kv: KeyValue): string {
    const v = kv.value;
    if (v.startsWith(metadataPrefix) && v[metadataPrefix.length] !== '}') {
      return `${metadataPrefix}"resourceVersion":"${kv.modRevision}",${v.slice(metadataPrefix.length)}`;
    }
    return JSON.stringify(this.decode(kv));
  }

  private encode(obj: KubeObject): string {
    const { resourceVersion: _rv, ...meta } = obj.metadata;
    const { metadata: _m, ...rest } = obj;
    return JSON.stringify({ metadata: meta, ...rest });
  }

  private now(): string {
    return rfc3339(this.clock.now());
  }

  private async getKV(rt: ResourceType, ns: string | undefined, name: string): Promise<KeyValue> {
    const kv = await this.store.get(this.key(rt, ns, name));
    if (!kv) throw notFound(rt.plural, name, rt.group || undefined);
    return kv;
  }

  async get(rt: ResourceType, ns: string | undefined, name: string): Promise<KubeObject> {
    return this.decode(await this.getKV(rt, ns, name));
  }

  /**
   * Resolves once the store has reached revision `rv`. A read "not older than" a version the
   * store has not reached waits for it, as kube-apiserver's watch cache does (3 s), and then
   * is a 504 the client may retry after a second.
   */
  async awaitRevision(rv: number): Promise<void> {
    const deadline = this.clock.now() + revisionWaitMs;
    for (;;) {
      const current = await this.store.currentRevision();
      if (current >= rv) return;
      const left = deadline - this.clock.now();
      if (left <= 0) throw tooLargeResourceVersion(rv, current, 1);
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, Math.min(revisionPollMs, left)));
    }
  }

  /** Namespaced writes need an existing namespace that is not being deleted. */
  private async checkNamespace(rt: ResourceType, ns: string | undefined, name: string): Promise<void> {
    if (!rt.namespaced) return;
    if (!ns) throw badRequest('a namespace must be specified for a namespaced resource');
    // A namespace the watch-fed cache knows as active needs no read; anything else is checked
    // against the store, which is the truth (a just-created namespace may not be cached yet).
    if (this.namespaceCache?.(ns) === 'Active') return;
    const nsType = this.lookupNamespaceType();
    const kv = await this.store.get(this.key(nsType, undefined, ns));
    if (!kv) throw notFound('namespaces', ns);
    {
      const nsObj = JSON.parse(kv.value) as KubeObject;
      if (nsObj.metadata.deletionTimestamp) {
        throw new ApiError(
          403,
          'Forbidden',
          `${rt.plural} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
          { kind: rt.plural, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] },
        );
      }
    }
  }

  private checkTypeMeta(rt: ResourceType, obj: KubeObject): void {
    const want = apiVersionOf(rt);
    if (obj.apiVersion !== undefined && obj.apiVersion !== want) {
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`,
      );
    }
    if (obj.kind !== undefined && obj.kind !== rt.kind) {
      throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${rt.kind})`);
    }
    obj.apiVersion = want;
    obj.kind = rt.kind;
  }

  private validateOrThrow(rt: ResourceType, obj: KubeObject, old?: KubeObject): void {
    const errs: FieldError[] = [...validateObjectMeta(obj, rt, { old }), ...rt.validate(obj, old)];
    if (errs.length) {
      throw invalid(rt.kind, obj.metadata.name ?? obj.metadata.generateName ?? '', errs, rt.group || undefined);
    }
  }

  /** Status and metadata Kubernetes sets itself on create, whatever the client sent. */
  private prepareForCreate(rt: ResourceType, obj: KubeObject): void {
    const m = obj.metadata;
    m.uid = randomUUID();
    m.creationTimestamp = this.now();
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.resourceVersion;
    delete m.selfLink;
    const gen = nextGeneration(rt, obj);
    if (gen !== undefined) m.generation = gen;
    else delete m.generation;
    if (rt.hasStatus) {
      switch (rt.plural) {
        case 'nodes':
          break; // the node agent registers its node with its status
        case 'namespaces':
          obj.status = { phase: 'Active' };
          break;
        default:
          obj.status = {};
      }
    }
  }

  /** Creates an object; takes ownership of `input` (it is changed and returned). */
  async create(rt: ResourceType, ns: string | undefined, input: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    if (!isPlainObject(input)) throw badRequest('the request body must be a JSON object');
    // The registry takes ownership of `input` (callers pass freshly decoded bodies).
    const obj = input;
    if (!isPlainObject(obj.metadata)) obj.metadata = {};
    this.checkTypeMeta(rt, obj);
    const m = obj.metadata;
    if (rt.namespaced) {
      if (m.namespace && ns && m.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = ns ?? m.namespace;
    } else {
      delete m.namespace;
    }
    const generated = !m.name && typeof m.generateName === 'string' && m.generateName !== '';
    this.prepareForCreate(rt, obj);
    omitEmptyMetadata(m);
    rt.defaults(obj);
    // Before the pod's QoS class is worked out: mutating admission may set its resources. (Pod
    // creates are the hot path: a hook that answers synchronously costs no await.)
    for (const hook of this.mutatingAdmission) {
      const pending = hook('create', rt, obj, undefined, opts);
      if (pending) await pending;
    }
    if (rt.plural === 'pods') obj.status = { phase: 'Pending', qosClass: podQOSClass(obj) };
    if (generated) m.name = (m.generateName as string) + randomSuffix();
    this.validateOrThrow(rt, obj);
    await this.checkNamespace(rt, m.namespace, m.name!);
    for (const hook of this.admission) {
      const pending = hook('create', rt, obj, undefined, opts);
      if (pending) await pending;
    }
    if (this.managedFields && opts.fieldManager) {
      Object.assign(
        obj,
        this.managedFields({ old: undefined, updated: obj, manager: opts.fieldManager, now: m.creationTimestamp!, resetFields: resetFields(rt) }),
      );
    }
    if (opts.dryRun) return obj;
    for (let attempt = 0; ; attempt++) {
      try {
        const kv = await this.store.create(this.key(rt, m.namespace, m.name!), this.encode(obj));
        m.resourceVersion = String(kv.modRevision);
        return this.written('ADDED', rt, withRawJSON(obj, this.rawJSON(kv)));
      } catch (err) {
        if (err instanceof AlreadyExistsError) {
          if (generated && attempt < 8) {
            m.name = (m.generateName as string) + randomSuffix();
            continue;
          }
          throw alreadyExists(rt.plural, m.name!, rt.group || undefined);
        }
        throw err;
      }
    }
  }

  /**
   * Read-modify-write of one object. `mutate` gets a private copy of the current object and
   * returns the desired one (with `replaces`, the caller promises to only read the object it
   * gets and to return a new one, and no copy is made); a conflict with a concurrent writer
   * retries with fresh state unless the desired object pinned a resourceVersion (then the
   * caller gets 409).
   * `subresource` "status" keeps everything but status; without it, status is kept for
   * kinds with a status subresource.
   */
  async update(
    rt: ResourceType,
    ns: string | undefined,
    name: string,
    mutate: (current: KubeObject) => KubeObject | Promise<KubeObject>,
    opts: WriteOptions & { subresource?: string; replaces?: boolean; createIfMissing?: (name: string) => Promise<KubeObject> } = {},
  ): Promise<KubeObject> {
    const key = this.key(rt, ns, name);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.store.get(key);
      if (!cur) {
        if (opts.createIfMissing) return opts.createIfMissing(name);
        throw notFound(rt.plural, name, rt.group || undefined);
      }
      // `old` is this call's own parse: later steps may share parts of it with `next`.
      const old = this.decode(cur);
      const desired = await mutate(opts.replaces ? old : clone(old));
      if (desired === old) throw new Error('registry.update: a replacing mutate returned the current object itself');
      if (!isPlainObject(desired)) throw badRequest('the request body must be a JSON object');
      if (!isPlainObject(desired.metadata)) desired.metadata = {};
      // A uid in a replacement is a precondition (kube's UpdatedObjectInfo): an update meant for
      // an object that was deleted and made again under the same name must not overwrite the new
      // one. Elsewhere (a patch) the uid just can't change.
      const uid = desired.metadata.uid;
      if (uid !== undefined && uid !== '' && uid !== old.metadata.uid) {
        if (opts.replaces) {
          throw conflict(rt.plural, name, `Precondition failed: UID in precondition: ${String(uid)}, UID in object meta: ${old.metadata.uid}`, rt.group || undefined);
        }
        throw invalid(rt.kind, name, [immutable('metadata.uid', uid)], rt.group || undefined);
      }
      const pinned = desired.metadata.resourceVersion;
      if (pinned !== undefined && pinned !== '' && pinned !== old.metadata.resourceVersion) {
        throw conflict(
          rt.plural,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
          rt.group || undefined,
        );
      }
      const next = await this.prepareForUpdate(rt, old, desired, name, opts);
      if (sameContent(next, old)) return old; // a no-op write keeps its resourceVersion
      if (opts.dryRun) return next;
      try {
        const kv = await this.store.update(key, this.encode(next), cur.modRevision);
        next.metadata.resourceVersion = String(kv.modRevision);
        const stored = this.written('MODIFIED', rt, withRawJSON(next, this.rawJSON(kv)));
        if (stored.metadata.deletionTimestamp && !hasFinalizers(rt, stored) && !isGracefulPod(rt, stored)) {
          return await this.finishDeletion(rt, key, kv);
        }
        return stored;
      } catch (err) {
        if (err instanceof ConflictError && (pinned === undefined || pinned === '') && attempt < 20) continue;
        if (err instanceof ConflictError) {
          throw conflict(rt.plural, name, 'the object has been modified; please apply your changes to the latest version and try again', rt.group || undefined);
        }
        if (err instanceof NotFoundError) throw notFound(rt.plural, name, rt.group || undefined);
        throw err;
      }
    }
  }

  private async finishDeletion(rt: ResourceType, key: string, kv: KeyValue): Promise<KubeObject> {
    try {
      return this.written('DELETED', rt, this.decode(await this.store.delete(key, kv.modRevision)));
    } catch (err) {
      if (err instanceof ConflictError || err instanceof NotFoundError) {
        // Someone else changed or removed it meanwhile; report the state we wrote.
        return this.decode(kv);
      }
      throw err;
    }
  }

  private async prepareForUpdate(
    rt: ResourceType,
    old: KubeObject,
    desired: KubeObject,
    name: string,
    opts: WriteOptions & { subresource?: string },
  ): Promise<KubeObject> {
    this.checkTypeMeta(rt, desired);
    // As kube-apiserver's checkName: an update (or a patch's result) must name its object. A
    // patch that removes metadata would otherwise wipe labels, finalizers and owner references.
    if (desired.metadata.name === undefined || desired.metadata.name === '') {
      throw badRequest(`the name of the object (${name} based on URL) was undeterminable: name must be provided`);
    }
    if (desired.metadata.name !== name) {
      throw badRequest(`the name of the object (${desired.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (rt.namespaced && desired.metadata.namespace !== undefined && desired.metadata.namespace !== old.metadata.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    let next: KubeObject;
    if (opts.subresource === 'status') {
      // Everything but status (and metadata, copied) stays as stored: shared with `old`, not copied.
      next = { ...old, metadata: { ...old.metadata } };
      next.status = desired.status;
      if (rt.statusCarriesAnnotations) {
        if (desired.metadata.annotations === undefined) delete next.metadata.annotations;
        else next.metadata.annotations = desired.metadata.annotations;
      }
      if (desired.metadata.managedFields !== undefined) next.metadata.managedFields = desired.metadata.managedFields;
    } else {
      next = desired;
      const m = next.metadata;
      const om = old.metadata;
      m.name = om.name;
      m.namespace = om.namespace;
      m.uid = om.uid;
      m.creationTimestamp = om.creationTimestamp;
      if (om.deletionTimestamp) m.deletionTimestamp = om.deletionTimestamp;
      else delete m.deletionTimestamp;
      if (om.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
      else delete m.deletionGracePeriodSeconds;
      delete m.generateName;
      if (om.generateName) m.generateName = om.generateName;
      // Binding writes spec.nodeName and the PodScheduled condition together.
      if (rt.hasStatus && opts.subresource !== 'binding') {
        if (old.status === undefined) delete next.status;
        else next.status = old.status;
      }
      if (om.deletionTimestamp && Array.isArray(m.finalizers)) {
        // A deleting object may lose finalizers but not gain new ones.
        const had = new Set(om.finalizers ?? []);
        const added = m.finalizers.filter((f) => !had.has(f));
        if (added.length) {
          throw invalid(rt.kind, name, [
            { type: 'FieldValueForbidden', field: 'metadata.finalizers', detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` },
          ], rt.group || undefined);
        }
      }
    }
    if (opts.subresource === undefined) rt.prepareForUpdate?.(next, old);
    omitEmptyMetadata(next.metadata);
    rt.defaults(next);
    for (const hook of this.mutatingAdmission) {
      const pending = hook('update', rt, next, old, opts);
      if (pending) await pending;
    }
    // Status writes never move the generation: it counts changes of the desired state.
    const gen = opts.subresource === 'status' ? old.metadata.generation : nextGeneration(rt, next, old);
    if (gen !== undefined) next.metadata.generation = gen;
    else delete next.metadata.generation;
    // Pod spec is immutable through ordinary updates; binding is the one way to set nodeName.
    this.validateOrThrow(rt, next, opts.subresource === 'binding' ? undefined : old);
    for (const hook of this.admission) {
      const pending = hook('update', rt, next, old, opts);
      if (pending) await pending;
    }
    if (this.managedFields && opts.fieldManager) {
      Object.assign(
        next,
        this.managedFields({
          old,
          updated: next,
          manager: opts.fieldManager,
          subresource: opts.subresource,
          now: this.now(),
          resetFields: resetFields(rt, opts.subresource),
        }),
      );
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    return next;
  }

  /**
   * Deletes an object, or marks it for deletion when finalizers (including those the
   * propagation policy adds) or a pod's grace period must run first.
   * Returns the deleted object, or the object as marked, and which of the two happened.
   */
  async delete(rt: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    const key = this.key(rt, ns, name);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.getKV(rt, ns, name);
      const old = this.decode(cur);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== old.metadata.uid) {
        throw conflict(rt.plural, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`, rt.group || undefined);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
        throw conflict(
          rt.plural,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
          rt.group || undefined,
        );
      }
      const next = clone(old);
      const m = next.metadata;
      const finalizers = new Set(m.finalizers ?? []);
      // As Kubernetes' deletionFinalizersForGarbageCollection: a policy replaces whatever the
      // object had (a later Foreground delete of an orphaning object stops orphaning); the
      // two finalizers together would make the object invalid, and so stuck.
      if (opts.propagationPolicy !== undefined) {
        finalizers.delete('orphan');
        finalizers.delete('foregroundDeletion');
        if (opts.propagationPolicy === 'Orphan') finalizers.add('orphan');
        if (opts.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
      }
      let graceful = false;
      if (rt.plural === 'pods') {
        const grace = opts.gracePeriodSeconds ?? next.spec?.terminationGracePeriodSeconds ?? 30;
        graceful = !!next.spec?.nodeName && grace > 0 && !terminalPodPhases.has(next.status?.phase);
        if (graceful) {
          const prevGrace = m.deletionGracePeriodSeconds;
          if (prevGrace === undefined || grace < prevGrace) {
            m.deletionGracePeriodSeconds = grace;
            m.deletionTimestamp = rfc3339(this.clock.now() + grace * 1000);
          }
        }
      }
      const pendingFinalizers = finalizers.size > 0 || (rt.plural === 'namespaces' && (next.spec?.finalizers ?? []).length > 0);
      if (!graceful && !pendingFinalizers) {
        if (opts.dryRun) return { object: old, deleted: true };
        try {
          return { object: this.written('DELETED', rt, this.decode(await this.store.delete(key, cur.modRevision))), deleted: true };
        } catch (err) {
          if (err instanceof ConflictError && attempt < 20) continue;
          if (err instanceof NotFoundError) throw notFound(rt.plural, name, rt.group || undefined);
          throw err;
        }
      }
      if (finalizers.size) m.finalizers = [...finalizers];
      else delete m.finalizers;
      if (!m.deletionTimestamp) m.deletionTimestamp = this.now();
      if (m.deletionGracePeriodSeconds === undefined) m.deletionGracePeriodSeconds = 0;
      if (rt.plural === 'namespaces') next.status = { ...(next.status ?? {}), phase: 'Terminating' };
      if (sameContent(next, old)) return { object: old, deleted: false };
      if (opts.dryRun) return { object: next, deleted: false };
      try {
        return { object: this.written('MODIFIED', rt, this.decode(await this.store.update(key, this.encode(next), cur.modRevision))), deleted: false };
      } catch (err) {
        if (err instanceof ConflictError && attempt < 20) continue;
        throw err;
      }
    }
  }

  async list(rt: ResourceType, ns: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    const prefix = this.keyPrefix(rt, ns);
    let revision = 0;
    let startAfter: string | undefined;
    /** Items after the previous page, as that page reported them: all pages read one snapshot. */
    let left: number | undefined;
    if (opts.continue) {
      const tok = decodeContinue(opts.continue);
      // A token only continues the list that made it: its key range (resource, namespace), not
      // merely one that contains its key (a namespace's token on the all-namespaces list).
      if (!tok.start.startsWith(prefix) || (tok.prefix !== undefined && tok.prefix !== prefix)) {
        throw badRequest('invalid continue token: continue key is not valid: it continues another list');
      }
      revision = tok.rv;
      startAfter = tok.start;
      left = tok.left;
    } else if (opts.revision !== undefined || opts.minRevision !== undefined) {
      await this.awaitRevision(opts.revision ?? opts.minRevision!);
      revision = opts.revision ?? 0;
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const items: KubeObject[] = [];
    const raw: string[] = [];
    const filter = opts.filter;
    let lastKey: string | undefined;
    let more = false;
    let remaining: number | undefined;
    try {
      for (;;) {
        const want = limit ? Math.max(limit - items.length, filter ? 100 : 0) : 0;
        const page = await this.store.list(prefix, { limit: want, startAfter, revision, count: !filter && left === undefined });
        revision = page.revision;
        for (const kv of page.items) {
          if (limit && items.length + raw.length >= limit) {
            more = true;
            break;
          }
          lastKey = kv.key;
          if (opts.raw) {
            if (!filter || filter(this.decode(kv))) raw.push(this.rawJSON(kv));
            continue;
          }
          const obj = this.decode(kv);
          if (!filter || filter(obj)) items.push(obj);
        }
        if (limit && items.length + raw.length >= limit) {
          more = more || page.more;
          if (!filter) remaining = left !== undefined ? left - (items.length + raw.length) : page.remaining;
          break;
        }
        if (!page.more) break;
        startAfter = page.items[page.items.length - 1]?.key;
      }
    } catch (err) {
      if (err instanceof GoneError) {
        if (!opts.continue) throw gone('The resourceVersion for the provided list is too old.');
        throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      // Only a forged token (or another cluster's) reads at a revision this store has not reached.
      if (opts.continue && revision > (await this.store.currentRevision().catch(() => Infinity))) {
        throw badRequest('invalid continue token: continue key is not valid: its resourceVersion is newer than the current one');
      }
      throw err;
    }
    const res: ListResult = { items, resourceVersion: String(revision) };
    if (opts.raw) res.raw = raw;
    if (more && lastKey) {
      res.continue = encodeContinue({ rv: revision, prefix, start: lastKey, left: remaining });
      if (remaining !== undefined && remaining > 0) res.remainingItemCount = remaining;
    }
    return res;
  }

  /**
   * Streams changes to sink. With no resourceVersion (or "0"), first sends the current
   * matching objects as ADDED. Objects that start or stop matching the filter arrive as
   * ADDED or DELETED, as kube-apiserver does.
   */
  async watch(
    rt: ResourceType,
    ns: string | undefined,
    opts: { resourceVersion?: string; filter?: ObjectFilter; onError: (err: Error) => void; onProgress?: (rv: number) => void },
    sink: WatchSink,
  ): Promise<Watcher> {
    const filter = opts.filter;
    let from: number;
    const rvParam = opts.resourceVersion;
    if (rvParam === undefined || rvParam === '' || rvParam === '0') {
      const initial = await this.list(rt, ns, { filter });
      for (const obj of initial.items) sink('ADDED', obj);
      from = Number(initial.resourceVersion);
    } else {
      from = Number(rvParam);
      if (!Number.isInteger(from) || from < 0) throw badRequest(`invalid resource version: ${rvParam}`);
    }
    try {
      return await this.store.watch(
        this.keyPrefix(rt, ns),
        (ev) => {
          // One event reaches every watcher of its prefix as the same KeyValue: decode it once.
          const obj = this.decodeShared(ev.kv);
          if (!filter) {
            sink(ev.type, obj);
            return;
          }
          if (ev.type === 'DELETED') {
            if (filter(obj)) sink('DELETED', obj);
            return;
          }
          const now = filter(obj);
          const prev = ev.prevKv ? this.decodeShared(ev.prevKv) : undefined;
          if (ev.type === 'ADDED' || !prev) {
            if (now) sink(ev.type === 'ADDED' ? 'ADDED' : 'MODIFIED', obj);
            return;
          }
          const before = filter(prev);
          if (now && before) sink('MODIFIED', obj);
          else if (now) sink('ADDED', obj);
          else if (before) sink('DELETED', obj);
        },
        { fromRevision: from, onError: opts.onError, onProgress: opts.onProgress },
      );
    } catch (err) {
      if (err instanceof GoneError) {
        throw gone(`too old resource version: ${from} (${err.compactedRevision})`);
      }
      throw err;
    }
  }
}

function hasFinalizers(rt: ResourceType, obj: KubeObject): boolean {
  if ((obj.metadata.finalizers ?? []).length > 0) return true;
  return rt.plural === 'namespaces' && (obj.spec?.finalizers ?? []).length > 0;
}

function isGracefulPod(rt: ResourceType, obj: KubeObject): boolean {
  return rt.plural === 'pods' && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
}

/**
 * Whether storing `next` over `old` would change nothing but resourceVersion and managedFields
 * (a no-op write, which Kubernetes doesn't store). Semantic JSON equality; undefined members
 * count as absent.
 */
function sameContent(next: KubeObject, old: KubeObject): boolean {
  const same = (a: Record<string, unknown>, b: Record<string, unknown>, skip: (k: string) => boolean) => {
    for (const k of Object.keys(a)) if (!skip(k) && !jsonEqual(a[k], b[k])) return false;
    for (const k of Object.keys(b)) if (!skip(k) && !(k in a) && b[k] !== undefined) return false;
    return true;
  };
  return (
    same(next, old, (k) => k === 'metadata') &&
    same(next.metadata, old.metadata, (k) => k === 'resourceVersion' || k === 'managedFields')
  );
}

const metadataPrefix = '{"metadata":{';
const rawJSONKey = Symbol('peapod.rawJSON');

/** Attaches the object's wire form, so a handler can answer without serialising it again. */
function withRawJSON(obj: KubeObject, json: string): KubeObject {
  Object.defineProperty(obj, rawJSONKey, { value: json, enumerable: false, configurable: true });
  return obj;
}

/** The JSON the registry stored for obj, if obj came straight from a write and was not changed since. */
export function rawJSONOf(obj: unknown): string | undefined {
  return typeof obj === 'object' && obj !== null ? ((obj as Record<symbol, string>)[rawJSONKey] ?? undefined) : undefined;
}

const suffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** Five characters from Kubernetes' generateName alphabet (no vowels, no confusable digits). */
export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (const b of bytes) s += suffixAlphabet[b % suffixAlphabet.length];
  return s;
}

interface ContinueToken {
  rv: number;
  /** The key prefix of the list that made the token (absent in tokens of older servers). */
  prefix?: string;
  start: string;
  /** How many items followed the page that made the token (unfiltered lists only). */
  left?: number;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'peapod/v1', rv: t.rv, p: t.prefix, start: t.start, left: t.left })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (t.v !== 'peapod/v1' || !Number.isSafeInteger(t.rv) || t.rv < 0 || typeof t.start !== 'string') throw new Error('bad token');
    // `left` is a hint (tokens of older servers lack it); a forged one only skews remainingItemCount.
    const left = Number.isInteger(t.left) && t.left >= 0 ? (t.left as number) : undefined;
    const prefix = typeof t.p === 'string' ? (t.p as string) : undefined;
    return { rv: t.rv, prefix, start: t.start, left };
  } catch {
    throw badRequest('invalid continue token: continue key is not valid: the token could not be decoded');
  }
}

