/**
 * meta.k8s.io/v1 Table responses: what `kubectl get` prints. The kind's ResourceType gives
 * the columns after NAME and the cells for each object.
 */
import type { KubeObject } from '../api/object.js';
import type { ResourceType, TableColumn } from '../api/resource.js';

const nameColumn: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.',
  priority: 0,
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function partialObjectMetadata(obj: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

function row(rt: ResourceType, obj: KubeObject, now: number, include: IncludeObject) {
  const cells = rt.cells(obj, now);
  const r: Record<string, unknown> = { cells: rt.ownNameColumn ? cells : [obj.metadata.name, ...cells] };
  if (include === 'Object') r.object = obj;
  else if (include === 'Metadata') r.object = partialObjectMetadata(obj);
  return r;
}

export function toTable(
  rt: ResourceType,
  objs: KubeObject[],
  opts: { now: number; include: IncludeObject; resourceVersion?: string; continue?: string; remainingItemCount?: number; withColumns?: boolean },
): KubeObject {
  const metadata: Record<string, unknown> = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  const table: KubeObject = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.withColumns === false ? [] : rt.ownNameColumn ? rt.columns : [nameColumn, ...rt.columns],
    rows: objs.map((o) => row(rt, o, opts.now, opts.include)),
  };
  return table;
}
