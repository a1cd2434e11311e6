/**
 * The Store: an etcd-shaped key-value log that the API server persists every object in.
 *
 * Keys are strings like "/registry/pods/default/nginx". Values are opaque strings (the API server
 * stores JSON). Every write gets a new, cluster-wide, strictly increasing revision; an object's
 * resourceVersion is the revision that last modified it (`modRevision`). Watches replay the
 * log from a revision, so a client that saw revision R misses nothing by watching from R.
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which this key was (last) created. */
  createRevision: number;
  /** Revision of the write that produced this value: the object's resourceVersion. */
  modRevision: number;
}

export interface ListOptions {
  /** Return at most this many items (0 or undefined: all). */
  limit?: number;
  /** Only keys strictly greater than this one (the continue position of a paged list). */
  startAfter?: string;
  /**
   * Read the state as of this revision (0/undefined: latest). Paged lists pass the first
   * page's revision so all pages are one consistent snapshot. Throws GoneError if compacted.
   */
  revision?: number;
  /** Whether to report `remaining` (default true); a caller that knows it already saves the count. */
  count?: boolean;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when more keys under the prefix follow the last returned one. */
  more: boolean;
  /** How many keys follow the returned ones, when `more` (may be an estimate). */
  remaining?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  /**
   * For ADDED/MODIFIED: the new value. For DELETED: the last value before deletion, with
   * `modRevision` set to the revision of the delete itself.
   */
  kv: KeyValue;
  /** The value before this event (MODIFIED and DELETED), when the backend has it. */
  prevKv?: KeyValue;
}

export interface WatchOptions {
  /**
   * Deliver every event with revision > fromRevision, in revision order, then live events.
   * 0 or undefined: only events after the watch starts. Throws GoneError when
   * fromRevision is older than the oldest revision the store still keeps.
   */
  fromRevision?: number;
  /** Called when the watch fails after it started (e.g. the backend went away); the watch is then closed. */
  onError?: (err: Error) => void;
  /** Called with the store's current revision when the watch has caught up with history (useful for bookmarks). */
  onProgress?: (revision: number) => void;
}

export interface Watcher {
  /** Stops delivery; idempotent. */
  close(): void;
}

export interface Store {
  /** Writes key if it does not exist. Throws AlreadyExistsError if it does. */
  create(key: string, value: string): Promise<KeyValue>;

  /** The current value of key, or undefined. */
  get(key: string): Promise<KeyValue | undefined>;

  /** Keys starting with prefix, in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;

  /** Number of keys starting with prefix. */
  count(prefix: string): Promise<number>;

  /**
   * Replaces key's value only if its modRevision is still `expectedModRevision`.
   * Throws NotFoundError if key does not exist, ConflictError if it was modified since.
   */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;

  /**
   * Deletes key; with expectedModRevision, only if unchanged since (else ConflictError).
   * Returns the deleted value with modRevision = the delete's revision. NotFoundError if absent.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;

  /**
   * Events under prefix; see WatchOptions. The handler is called synchronously in order.
   * Live events reach every watcher of a prefix as the same WatchEvent and KeyValue objects
   * (the API server decodes each once for all its watchers), so handlers must not modify them.
   */
  watch(prefix: string, handler: (ev: WatchEvent) => void, opts?: WatchOptions): Promise<Watcher>;

  /** The newest revision written. */
  currentRevision(): Promise<number>;

  /** The oldest revision still watchable/listable; older ones throw GoneError. */
  compactedRevision(): Promise<number>;

  /** Forgets history at and below `revision` (current values are kept). */
  compact(revision: number): Promise<void>;

  /** Is the backend reachable and writable; used by /readyz. Throws with a reason if not. */
  check(): Promise<void>;

  /** Releases connections, files and watches. */
  close(): Promise<void>;
}
