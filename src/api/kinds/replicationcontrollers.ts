/** core/v1 replicationcontrollers: the older ReplicaSet, with a plain-map selector. */
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { formatLabels } from '../labels.js';
import { int, specOf, sub } from './common.js';
import { defaultPodTemplate } from './podspec.js';
import { omitZeroCounts, replicaCells, replicaColumns, replicaSetZeroOmitted, replicasScale, validateMapSelectorAndTemplate } from './workloads.js';

/** As Kubernetes does: an empty selector and empty object labels are copied from the template's labels. */
function defaultReplicationController(rc: KubeObject): void {
  const spec = specOf(rc);
  const labels = sub(sub(spec, 'template'), 'metadata').labels;
  if (isPlainObject(labels) && Object.keys(labels).length > 0) {
    if (!isPlainObject(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    const meta = rc.metadata;
    if (!isPlainObject(meta.labels) || Object.keys(meta.labels).length === 0) meta.labels = { ...(labels as Record<string, string>) };
  }
  spec.replicas ??= 1;
  defaultPodTemplate(spec.template);
  omitZeroCounts(rc, replicaSetZeroOmitted);
}

export const replicationcontrollers: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  listKind: 'ReplicationControllerList',
  plural: 'replicationcontrollers',
  singular: 'replicationcontroller',
  namespaced: true,
  shortNames: ['rc'],
  categories: ['all'],
  hasStatus: true,
  scale: replicasScale,
  defaults: defaultReplicationController,
  validate: (rc) => validateMapSelectorAndTemplate(rc),
  columns: replicaColumns,
  cells: (rc, now) => replicaCells(rc, now, formatLabels(sub(rc, 'spec').selector)),
  selectableFields: (rc) => ({ 'status.replicas': String(int(sub(rc, 'status').replicas)) }),
};
