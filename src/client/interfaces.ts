/**
 * The client layer every controller, the scheduler, the simulated nodes and (later) the node
 * agent use to reach the cluster: only through the API server, exactly like client-go users.
 *
 * - KubeClient: typed REST calls (get/list/create/update/patch/delete/watch) over HTTPS.
 * - Informer: list, then watch from the list's resourceVersion; relist on 410; a local cache
 *   with indexes; event handlers that only enqueue keys.
 * - WorkQueue: de-duplicating queue of keys with rate-limited retries (client-go semantics).
 *
 * Implementations: `rest-client.ts` (KubeClient), `informer.ts`, `workqueue.ts`, `controller.ts`.
 */
import type { KubeObject } from '../api/object.js';

/** Which resource a call addresses; a ResourceType from src/api satisfies it. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Events after this version; "" or "0": current objects first as ADDED. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  /** For ERROR: a meta/v1 Status. */
  object: T;
}

export interface WatchHandle {
  /** Ends the watch; `onDone` is called once with no error. Idempotent. */
  close(): void;
}

export interface ObjectList<T = KubeObject> {
  items: T[];
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Defaults to the client's own manager name. */
  fieldManager?: string;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/**
 * Typed REST access. Every failure is thrown as an ApiError (src/api/errors.ts) rebuilt from
 * the server's Status (code, reason, message), so callers test `err.code === 404` etc.
 */
export interface KubeClient {
  get<T extends KubeObject = KubeObject>(res: ResourceRef, namespace: string | undefined, name: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(res: ResourceRef, namespace: string | undefined, opts?: ListOptions): Promise<ObjectList<T>>;
  create<T extends KubeObject = KubeObject>(res: ResourceRef, namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T>;
  /** PUT of the whole object (or of its status with subresource "status"); 409 on a stale resourceVersion. */
  update<T extends KubeObject = KubeObject>(res: ResourceRef, obj: T, opts?: WriteOptions & { subresource?: 'status' }): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    res: ResourceRef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts?: WriteOptions & { subresource?: 'status' | 'scale'; force?: boolean },
  ): Promise<T>;
  delete(res: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void>;
  /** POST pods/{name}/binding. */
  bind(namespace: string, podName: string, nodeName: string): Promise<void>;
  /**
   * Streams events. `onEvent` is called in order; `onDone` once when the stream ends for any
   * reason (error: the connection failed or the server answered non-200; undefined: it ended).
   * An ERROR event with a 410 Status arrives through onEvent before the stream ends.
   */
  watch<T extends KubeObject = KubeObject>(
    res: ResourceRef,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (ev: WatchEvent<T>) => void,
    onDone: (err?: Error) => void,
  ): WatchHandle;
  /** Releases keep-alive connections and open watches. */
  close(): void;
}

/** "namespace/name", or "name" for cluster-scoped objects: the key controllers queue. */
export function objectKey(obj: { metadata: { namespace?: string; name?: string } }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name ?? '';
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** For a delete seen only through a relist, obj is the last cached state. */
  onDelete?(obj: T): void;
}

/** Read access to an informer's cache. Returned objects are shared: never mutate them. */
export interface Lister<T> {
  get(key: string): T | undefined;
  list(namespace?: string): T[];
  /** Objects whose index function returned `value` (see Informer.addIndex). */
  byIndex(index: string, value: string): T[];
}

export interface Informer<T extends KubeObject = KubeObject> {
  readonly lister: Lister<T>;
  /** Adds handlers; a handler added after sync first gets onAdd for every cached object. */
  addHandlers(h: EventHandlers<T>): void;
  /** Declares an index (e.g. "nodeName" -> pod.spec.nodeName); must be called before start(). */
  addIndex(name: string, fn: (obj: T) => string[]): void;
  /** Lists and starts watching; resolves once the cache holds the initial list. */
  start(): Promise<void>;
  hasSynced(): boolean;
  stop(): void;
}

export interface InformerFactory {
  /** One shared informer per resource (and namespace/selector, if given). */
  informerFor<T extends KubeObject = KubeObject>(res: ResourceRef, opts?: { namespace?: string; labelSelector?: string; fieldSelector?: string }): Informer<T>;
  /** Starts every informer created so far and resolves when all have synced. */
  start(): Promise<void>;
  stop(): void;
}

/**
 * client-go's rate-limited work queue: a key is processed by one worker at a time; adding a
 * key that is queued is a no-op; adding one that is being processed requeues it after done().
 */
export interface WorkQueue {
  add(key: string): void;
  /** Re-adds after the key's exponential back-off (per-key failures count up until forget()). */
  addRateLimited(key: string): void;
  addAfter(key: string, ms: number): void;
  /** Resets the key's back-off. */
  forget(key: string): void;
  /** Next key, waiting until there is one; undefined after shutDown(). */
  get(): Promise<string | undefined>;
  /** Marks the key processed. */
  done(key: string): void;
  len(): number;
  shutDown(): void;
}
