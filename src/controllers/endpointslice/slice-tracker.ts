/**
 * The generations of the EndpointSlices this controller last wrote, per Service (kube's
 * EndpointSliceTracker). A sync whose cache shows an older generation of one of them, misses
 * one it created, or still shows one it deleted would act on a stale picture and write twice;
 * it waits for the cache instead. Events for slices at the generation it wrote are its own
 * echoes and need no sync.
 */
import type { KubeObject } from '../../api/object.js';
import type { EventHandlers } from '../../client/interfaces.js';
import { serviceNameLabel } from '../../api/kinds/endpointslices.js';

/** Marks a slice this controller deleted and expects to see vanish. */
const deletionExpected = -1;

function serviceKeyOf(slice: KubeObject, serviceName: string): string {
  return `${slice.metadata.namespace ?? ''}/${serviceName}`;
}

export class EndpointSliceTracker {
  /** service key -> slice uid -> generation written (or deletionExpected). */
  private readonly byService = new Map<string, Map<string, number>>();

  constructor(private readonly serviceNameOf: (slice: KubeObject) => string) {}

  private gens(slice: KubeObject): Map<string, number> | undefined {
    return this.byService.get(serviceKeyOf(slice, this.serviceNameOf(slice)));
  }

  /** Whether the slice is one this controller wrote (or deleted). */
  has(slice: KubeObject): boolean {
    return this.gens(slice)?.has(slice.metadata.uid ?? '') ?? false;
  }

  /** True unless the slice is at (or behind) the generation this controller wrote: someone else changed it. */
  shouldSync(slice: KubeObject): boolean {
    const g = this.gens(slice)?.get(slice.metadata.uid ?? '');
    if (g === undefined) return true;
    return (slice.metadata.generation ?? 0) > g;
  }

  /** Records a slice as just written, from the server's answer. */
  update(slice: KubeObject): void {
    const key = serviceKeyOf(slice, this.serviceNameOf(slice));
    let gens = this.byService.get(key);
    if (!gens) this.byService.set(key, (gens = new Map()));
    gens.set(slice.metadata.uid ?? '', slice.metadata.generation ?? 0);
  }

  /** Records a slice as deleted by this controller. */
  expectDeletion(slice: KubeObject): void {
    const key = serviceKeyOf(slice, this.serviceNameOf(slice));
    let gens = this.byService.get(key);
    if (!gens) this.byService.set(key, (gens = new Map()));
    gens.set(slice.metadata.uid ?? '', deletionExpected);
  }

  /** Forgets a slice the cache saw deleted; true when the deletion was this controller's. */
  handleDeletion(slice: KubeObject): boolean {
    const gens = this.gens(slice);
    const uid = slice.metadata.uid ?? '';
    const g = gens?.get(uid);
    gens?.delete(uid);
    return g === deletionExpected;
  }

  /**
   * Whether the cached slices of a Service (`namespace/name`) predate this controller's
   * writes: one shows an older generation, one it deleted is still there, or one it wrote
   * is missing.
   */
  staleSlices(serviceKey: string, cached: readonly KubeObject[]): boolean {
    const gens = this.byService.get(serviceKey);
    if (!gens) return false;
    const seen = new Set<string>();
    for (const s of cached) {
      const uid = s.metadata.uid ?? '';
      seen.add(uid);
      const g = gens.get(uid);
      if (g !== undefined && (g === deletionExpected || g > (s.metadata.generation ?? 0))) return true;
    }
    for (const [uid, g] of gens) if (g !== deletionExpected && !seen.has(uid)) return true;
    return false;
  }

  /** Forgets a deleted Service. */
  deleteService(serviceKey: string): void {
    this.byService.delete(serviceKey);
  }
}

/**
 * The slice events a controller that owns slices reacts to, the same for the EndpointSlice and
 * the mirroring controllers: a slice of its own that someone else changed (or that is new to its
 * cache), one whose ownership or Service label moved, and a deletion it did not make (repaired).
 * Its own writes coming back through the watch are recognised by the tracker and ignored.
 */
export function ownSliceHandlers(
  managedHere: (slice: KubeObject) => boolean,
  tracker: EndpointSliceTracker,
  enqueue: (slice: KubeObject) => void,
): EventHandlers<KubeObject> {
  return {
    onAdd: (slice) => {
      if (managedHere(slice) && tracker.shouldSync(slice)) enqueue(slice);
    },
    onUpdate: (old, cur) => {
      // The controllers never move a slice to another Service, but users may.
      if (old.metadata.labels?.[serviceNameLabel] !== cur.metadata.labels?.[serviceNameLabel]) {
        enqueue(cur);
        enqueue(old);
        return;
      }
      if (managedHere(old) !== managedHere(cur) || (managedHere(cur) && tracker.shouldSync(cur))) enqueue(cur);
    },
    onDelete: (slice) => {
      if (managedHere(slice) && tracker.has(slice) && !tracker.handleDeletion(slice)) enqueue(slice);
    },
  };
}
