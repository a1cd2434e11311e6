/**
 * What ReplicaSets, Deployments and ReplicationControllers share: a replica count, a label
 * selector and a pod template whose labels the selector must match.
 */
import type { FieldError } from '../errors.js';
import { isPlainObject, type KubeObject } from '../object.js';
import type { ScaleSubresource, TableColumn } from '../resource.js';
import {
  formatLabelSelector,
  labelSelectorAsSelector,
  matchesLabels,
  selectorFromMap,
  validateLabelSelector,
  validateLabels,
} from '../labels.js';
import { immutable, invalidValue, notSupported, required, validateNonnegative } from '../validation.js';
import { ageCell, ageColumn, column, deepEqual, int, sub } from './common.js';
import { containerCells, validatePodTemplate } from './podspec.js';

export const replicasScale: ScaleSubresource = {
  specReplicasPath: 'spec.replicas',
  statusReplicasPath: 'status.replicas',
  selectorPath: 'spec.selector',
};

const selectorMismatch = '`selector` does not match template `labels`';

/** Template labels of obj's spec.template, or {} */
function templateLabels(spec: Record<string, unknown>): Record<string, string> {
  return sub(sub(spec, 'template'), 'metadata').labels ?? {};
}

/** Errors for a workload whose spec.selector is a metav1.LabelSelector (apps/v1 kinds). */
export function validateSelectorAndTemplate(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = sub(obj, 'spec');
  const errs: FieldError[] = [];
  errs.push(...validateNonnegative('spec.replicas', spec.replicas));
  errs.push(...validateNonnegative('spec.minReadySeconds', spec.minReadySeconds));
  const selector = spec.selector;
  if (selector === undefined || selector === null) {
    errs.push(required('spec.selector'));
  } else {
    const selErrs = validateLabelSelector(selector, 'spec.selector');
    errs.push(...selErrs);
    const s = isPlainObject(selector) ? selector : {};
    const empty = Object.keys(sub(s, 'matchLabels')).length + (Array.isArray(s.matchExpressions) ? s.matchExpressions.length : 0) === 0;
    if (empty) errs.push(invalidValue('spec.selector', selector, 'empty selector is invalid for deployment'));
    else if (selErrs.length === 0) {
      let matches = false;
      try {
        matches = matchesLabels(labelSelectorAsSelector(s), templateLabels(spec));
      } catch {
        matches = false;
      }
      if (!matches) errs.push(invalidValue('spec.template.metadata.labels', templateLabels(spec), selectorMismatch));
    }
  }
  errs.push(...validateWorkloadTemplate(spec));
  if (old && !deepEqual(sub(old, 'spec').selector, selector)) errs.push(immutable('spec.selector', selector));
  return errs;
}

/** Errors for a ReplicationController, whose selector is a plain map defaulted from the template. */
export function validateMapSelectorAndTemplate(obj: KubeObject): FieldError[] {
  const spec = sub(obj, 'spec');
  const errs: FieldError[] = [];
  errs.push(...validateNonnegative('spec.replicas', spec.replicas));
  errs.push(...validateNonnegative('spec.minReadySeconds', spec.minReadySeconds));
  const selector = isPlainObject(spec.selector) ? (spec.selector as Record<string, string>) : {};
  if (Object.keys(selector).length === 0) errs.push(required('spec.selector'));
  else errs.push(...validateLabels(selector, 'spec.selector'));
  if (!isPlainObject(spec.template)) {
    errs.push(required('spec.template'));
    return errs;
  }
  if (Object.keys(selector).length > 0 && !matchesLabels(selectorFromMap(selector), templateLabels(spec))) {
    errs.push(invalidValue('spec.template.metadata.labels', templateLabels(spec), selectorMismatch));
  }
  errs.push(...validateWorkloadTemplate(spec));
  return errs;
}

/** Pods of a replicated workload must always restart. */
function validateWorkloadTemplate(spec: Record<string, unknown>): FieldError[] {
  const errs = validatePodTemplate(spec.template, 'spec.template');
  const rp = sub(sub(spec, 'template'), 'spec').restartPolicy;
  if (rp !== undefined && rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  return errs;
}

export const templateColumns: TableColumn[] = [
  column('Containers', 'string', 'Names of each container in the template.', true),
  column('Images', 'string', 'Images referenced by each container in the template.', true),
];

/** DESIRED CURRENT READY AGE + wide CONTAINERS IMAGES SELECTOR, for ReplicaSets and RCs. */
export const replicaColumns: TableColumn[] = [
  column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
  column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
  column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
  ageColumn,
  ...templateColumns,
  column('Selector', 'string', 'Selector is a label query over pods that should match the replica count.', true),
];

export function replicaCells(obj: KubeObject, now: number, selectorCell: string): unknown[] {
  const spec = sub(obj, 'spec');
  const status = sub(obj, 'status');
  return [int(spec.replicas), int(status.replicas), int(status.readyReplicas), ageCell(obj, now), ...containerCells(sub(spec.template, 'spec')), selectorCell];
}

export function labelSelectorCell(selector: unknown): string {
  return formatLabelSelector(isPlainObject(selector) ? selector : undefined);
}

/**
 * Drops status counts that are 0, as Kubernetes' JSON encoding does for its omitempty fields:
 * a Deployment at rest shows no `unavailableReplicas`, a ReplicaSet scaled to 0 no
 * `readyReplicas`, so `-o jsonpath` and `kubectl wait --for=jsonpath` read the same as there.
 */
export function omitZeroCounts(obj: KubeObject, fields: readonly string[]): void {
  const status = obj.status;
  if (!isPlainObject(status)) return;
  for (const f of fields) if (status[f] === 0) delete status[f];
}

/** ReplicaSetStatus and ReplicationControllerStatus fields with omitempty (replicas has none). */
export const replicaSetZeroOmitted = ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'] as const;
