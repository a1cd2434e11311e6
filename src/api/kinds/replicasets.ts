/** apps/v1 replicasets. */
import type { KubeObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { int, specOf, sub } from './common.js';
import { defaultPodTemplate } from './podspec.js';
import { labelSelectorCell, omitZeroCounts, replicaCells, replicaColumns, replicaSetZeroOmitted, replicasScale, validateSelectorAndTemplate } from './workloads.js';

function defaultReplicaSet(rs: KubeObject): void {
  const spec = specOf(rs);
  spec.replicas ??= 1;
  defaultPodTemplate(spec.template);
  omitZeroCounts(rs, replicaSetZeroOmitted);
}

export const replicasets: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  listKind: 'ReplicaSetList',
  plural: 'replicasets',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  hasStatus: true,
  scale: replicasScale,
  defaults: defaultReplicaSet,
  validate: validateSelectorAndTemplate,
  columns: replicaColumns,
  cells: (rs, now) => replicaCells(rs, now, labelSelectorCell(sub(rs, 'spec').selector)),
  selectableFields: (rs) => ({ 'status.replicas': String(int(sub(rs, 'status').replicas)) }),
};
