/** apps/v1 deployments. */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { labelSelectorAsSelector, regexError, selectorToString } from '../labels.js';
import { forbidden, invalidValue, notSupported, required, validateNonnegative } from '../validation.js';
import { ageCell, ageColumn, column, int, specOf, sub } from './common.js';
import { containerCells, defaultPodTemplate } from './podspec.js';
import { omitZeroCounts, replicasScale, templateColumns, validateSelectorAndTemplate } from './workloads.js';

function defaultDeployment(d: KubeObject): void {
  const spec = specOf(d);
  spec.replicas ??= 1;
  if (!isPlainObject(spec.strategy)) spec.strategy = {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    if (!isPlainObject(spec.strategy.rollingUpdate)) spec.strategy.rollingUpdate = {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplate(spec.template);
  // Every count in DeploymentStatus is omitempty.
  omitZeroCounts(d, deploymentZeroOmitted);
}

const deploymentZeroOmitted = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'terminatingReplicas', 'collisionCount'];

/**
 * An int-or-percent value (maxSurge, maxUnavailable) as [amount, isPercent], pushing errors
 * for negative numbers and malformed percentages.
 */
function intOrPercent(errs: FieldError[], field: string, v: unknown): [number, boolean] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    errs.push(...validateNonnegative(field, v));
    return [v, false];
  }
  if (typeof v === 'string' && /^[0-9]+%$/.test(v)) return [Number(v.slice(0, -1)), true];
  errs.push(
    invalidValue(
      field,
      v,
      regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%'),
    ),
  );
  return undefined;
}

function validateStrategy(strategy: unknown): FieldError[] {
  const errs: FieldError[] = [];
  const s = isPlainObject(strategy) ? strategy : {};
  const ru = s.rollingUpdate;
  switch (s.type) {
    case 'Recreate':
      if (ru !== undefined && ru !== null) {
        errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
      }
      break;
    case 'RollingUpdate': {
      if (!isPlainObject(ru)) {
        errs.push(required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
        break;
      }
      const unavailable = intOrPercent(errs, 'spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable);
      const surge = intOrPercent(errs, 'spec.strategy.rollingUpdate.maxSurge', ru.maxSurge);
      if (unavailable?.[1] && unavailable[0] > 100) {
        errs.push(invalidValue('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'must not be greater than 100%'));
      }
      if (unavailable?.[0] === 0 && surge?.[0] === 0) {
        errs.push(invalidValue('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
      break;
    }
    default:
      errs.push(notSupported('spec.strategy.type', s.type ?? '', ['Recreate', 'RollingUpdate']));
  }
  return errs;
}

function validateDeployment(d: KubeObject, old?: KubeObject): FieldError[] {
  const spec = sub(d, 'spec');
  const errs = validateSelectorAndTemplate(d, old);
  errs.push(...validateStrategy(spec.strategy));
  errs.push(...validateNonnegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  errs.push(...validateNonnegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
  if (typeof spec.progressDeadlineSeconds === 'number' && spec.progressDeadlineSeconds <= int(spec.minReadySeconds)) {
    errs.push(invalidValue('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

function selectorCell(selector: unknown): string {
  try {
    return selectorToString(labelSelectorAsSelector(isPlainObject(selector) ? selector : undefined));
  } catch {
    return '<invalid>';
  }
}

export const deployments: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  listKind: 'DeploymentList',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  hasStatus: true,
  statusCarriesAnnotations: true,
  scale: replicasScale,
  defaults: defaultDeployment,
  validate: validateDeployment,
  columns: [
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageColumn,
    ...templateColumns,
    column('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', true),
  ],
  cells(d, now) {
    const spec = sub(d, 'spec');
    const status = sub(d, 'status');
    return [
      `${int(status.readyReplicas)}/${int(spec.replicas)}`,
      int(status.updatedReplicas),
      int(status.availableReplicas),
      ageCell(d, now),
      ...containerCells(sub(spec.template, 'spec')),
      selectorCell(spec.selector),
    ];
  },
  selectableFields: () => ({}),
};
