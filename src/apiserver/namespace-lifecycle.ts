/**
 * NamespaceLifecycle admission's cache: the phase of every namespace as a watch last saw it,
 * so creates in an active namespace need no store read (the registry falls back to the store
 * for anything the cache does not know as Active). Deleting a namespace's content is the
 * namespace controller's job (src/controllers/namespace).
 */
import type { ResourceType } from '../api/resource.js';
import type { Watcher } from '../storage/interface.js';
import type { Logger } from '../util/logger.js';
import type { ObjectRegistry } from './registry.js';

export class NamespaceLifecycle {
  private watcher?: Watcher;
  private readonly phases = new Map<string, 'Active' | 'Terminating'>();
  private closed = false;

  constructor(
    private readonly registry: ObjectRegistry,
    private readonly types: readonly ResourceType[],
    private readonly log: Logger,
  ) {}

  private get nsType(): ResourceType {
    return this.types.find((t) => t.group === '' && t.plural === 'namespaces')!;
  }

  async start(): Promise<void> {
    this.phases.clear();
    this.registry.namespaceCache = undefined;
    this.watcher = await this.registry.watch(
      this.nsType,
      undefined,
      {
        onError: (err) => {
          this.log.error('namespace watch failed; restarting', { err: err.message });
          if (!this.closed) void this.start();
        },
      },
      (type, ns) => {
        const name = ns.metadata.name!;
        if (type === 'DELETED') this.phases.delete(name);
        else this.phases.set(name, ns.metadata.deletionTimestamp ? 'Terminating' : 'Active');
      },
    );
    if (!this.closed) this.registry.namespaceCache = (name) => this.phases.get(name);
  }

  close(): void {
    this.closed = true;
    this.registry.namespaceCache = undefined;
    this.watcher?.close();
  }
}
