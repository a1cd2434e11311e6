/**
 * Carries out a plan of EndpointSlice changes for either EndpointSlice controller (the I/O half
 * of kube's finalize): creates, then updates, then deletes, recording each write in the
 * controller's slice tracker so its own echoes are not mistaken for others' changes.
 */
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { endpointslices as slicesResource } from '../../api/kinds/endpointslices.js';
import type { KubeClient } from '../../client/interfaces.js';
import type { SliceChanges } from './slice-utils.js';
import type { EndpointSliceTracker } from './slice-tracker.js';

export interface SliceWriteOptions {
  client: KubeClient;
  tracker: EndpointSliceTracker;
  namespace: string;
  /** Whose slices these are, for error messages: "Service ns/name", "Endpoints ns/name". */
  owner: string;
  /** False while the owner is being deleted: new slices would race the garbage collector. */
  allowCreate: boolean;
  /** Last touches to a slice about to be created or updated (annotations). */
  beforeWrite?: (slice: KubeObject) => void;
}

/**
 * Writes the changes in order, stopping at the first failure (the sync is retried). A create
 * refused because the namespace is terminating ends the writes quietly: retrying cannot help.
 * A slice already gone counts as deleted.
 */
export async function writeSliceChanges(changes: SliceChanges, opts: SliceWriteOptions): Promise<void> {
  const { client, tracker, namespace: ns, owner } = opts;
  if (opts.allowCreate) {
    for (const slice of changes.create) {
      opts.beforeWrite?.(slice);
      let created: KubeObject;
      try {
        created = await client.create(slicesResource, ns, slice);
      } catch (err) {
        const causes = err instanceof ApiError ? err.details?.causes ?? [] : [];
        if (causes.some((c) => c.reason === 'NamespaceTerminating')) return;
        throw new Error(`failed to create EndpointSlice for ${owner}: ${(err as Error).message}`, { cause: err });
      }
      tracker.update(created);
    }
  }
  for (const slice of changes.update) {
    opts.beforeWrite?.(slice);
    let written: KubeObject;
    try {
      written = await client.update(slicesResource, slice);
    } catch (err) {
      throw new Error(`failed to update ${slice.metadata.name} EndpointSlice for ${owner}: ${(err as Error).message}`, { cause: err });
    }
    tracker.update(written);
  }
  for (const slice of changes.delete) {
    try {
      await client.delete(slicesResource, ns, slice.metadata.name!);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) continue;
      throw new Error(`failed to delete ${slice.metadata.name} EndpointSlice for ${owner}: ${(err as Error).message}`, { cause: err });
    }
    tracker.expectDeletion(slice);
  }
}
