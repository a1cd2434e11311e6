/**
 * policy/v1 poddisruptionbudgets: how many of the pods a selector picks must stay up through
 * voluntary disruptions (evictions). spec.minAvailable or spec.maxUnavailable (an int or a
 * percentage) says how many; the disruption controller keeps status (expected, desired and
 * current healthy pods, disruptionsAllowed, the DisruptionAllowed condition) and the eviction
 * subresource spends disruptionsAllowed, noting each pod it lets go in status.disruptedPods.
 * Validation as Kubernetes' ValidatePodDisruptionBudget and its status update validation,
 * table cells as its printer.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { labelSelectorAsSelector, regexError, validateLabelSelector, type Selector } from '../labels.js';
import { findCondition, setStatusCondition, validateConditions, type Condition } from '../conditions.js';
import { invalidValue, notSupported, validateNonnegative } from '../validation.js';
import { ageCell, ageColumn, column, int, sub } from './common.js';

/** An intstr.IntOrString as JSON carries it: a number, or a string ("50%"). */
export type IntOrString = number | string;

/** spec.unhealthyPodEvictionPolicy values; unset means IfHealthyBudget. */
export const unhealthyPodEvictionPolicies = ['AlwaysAllow', 'IfHealthyBudget'] as const;

/** The status condition the disruption controller and the eviction subresource keep. */
export const disruptionAllowedCondition = 'DisruptionAllowed';
export const sufficientPodsReason = 'SufficientPods';
export const insufficientPodsReason = 'InsufficientPods';
export const syncFailedReason = 'SyncFailed';

/** The status fields every PodDisruptionBudget carries (not omitempty in policy/v1). */
const countFields = ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] as const;

/** Status as the API serializes it: the four counts always, the rest only when set. */
function defaultPodDisruptionBudget(pdb: KubeObject): void {
  const status = pdb.status;
  if (!isPlainObject(status)) return;
  for (const f of countFields) status[f] ??= 0;
  if (status.observedGeneration === 0) delete status.observedGeneration;
  if (isPlainObject(status.disruptedPods) && Object.keys(status.disruptedPods).length === 0) delete status.disruptedPods;
  if (Array.isArray(status.conditions) && status.conditions.length === 0) delete status.conditions;
}

// --- int or percent ------------------------------------------------------------------------------

const percentFmt = '[0-9]+%';

/** ValidatePositiveIntOrPercent and IsNotMoreThan100Percent, for minAvailable / maxUnavailable. */
function intOrPercentErrors(field: string, v: unknown): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return validateNonnegative(field, v);
  if (typeof v !== 'string') return [invalidValue(field, v, "must be an integer or percentage (e.g '5%')")];
  if (!new RegExp(`^${percentFmt}$`).test(v)) {
    return [invalidValue(field, v, regexError("a valid percent string must be a numeric string followed by an ending '%'", percentFmt, '1%', '93%'))];
  }
  return Number(v.slice(0, -1)) > 100 ? [invalidValue(field, v, 'must not be greater than 100%')] : [];
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as it is; "N%" of total, rounded up or down.
 * A string that is no percentage throws, as it does in Kubernetes.
 */
export function scaledValue(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (!v.endsWith('%')) throw new Error('invalid type: string is not a percentage');
  const pct = v.slice(0, -1);
  if (!/^[+-]?[0-9]+$/.test(pct)) throw new Error(`invalid value ${JSON.stringify(v)}: strconv.Atoi: parsing ${JSON.stringify(pct)}: invalid syntax`);
  const scaled = (Number(pct) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** IntOrString.String(): how kubectl shows the value. */
function intOrStringText(v: unknown): string {
  return typeof v === 'number' || typeof v === 'string' ? String(v) : 'N/A';
}

// --- validation ------------------------------------------------------------------------------------

function validatePodDisruptionBudget(pdb: KubeObject): FieldError[] {
  const spec = sub(pdb, 'spec');
  const errs: FieldError[] = [];
  const has = (v: unknown) => v !== undefined && v !== null;
  if (has(spec.minAvailable) && has(spec.maxUnavailable)) {
    errs.push(invalidValue('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  errs.push(...intOrPercentErrors('spec.minAvailable', spec.minAvailable));
  errs.push(...intOrPercentErrors('spec.maxUnavailable', spec.maxUnavailable));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (has(policy) && !(unhealthyPodEvictionPolicies as readonly unknown[]).includes(policy)) {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, unhealthyPodEvictionPolicies));
  }
  // What ValidatePodDisruptionBudgetStatusUpdate checks; only status writes can change it.
  const status = sub(pdb, 'status');
  errs.push(...validateConditions(status.conditions, 'status.conditions'));
  for (const f of countFields) errs.push(...validateNonnegative(`status.${f}`, status[f]));
  return errs;
}

// --- helpers for the disruption controller and the eviction subresource ------------------------

/**
 * The pods a budget covers, as the disruption controller selects them: undefined for a selector
 * that does not compile (it matches no pod). No selector matches nothing, `{}` everything.
 */
export function budgetSelector(pdb: KubeObject): Selector | undefined {
  try {
    return labelSelectorAsSelector(pdb.spec?.selector);
  } catch {
    return undefined;
  }
}

/**
 * pdbhelper.UpdateDisruptionAllowedCondition: True/SufficientPods while disruptionsAllowed > 0,
 * False/InsufficientPods otherwise. Changes `status` in place; `now` stamps a transition.
 */
export function updateDisruptionAllowedCondition(status: Record<string, any>, now: string): void {
  if (!Array.isArray(status.conditions)) status.conditions = [];
  const allowed = int(status.disruptionsAllowed) > 0;
  setStatusCondition(
    status.conditions as Condition[],
    {
      type: disruptionAllowedCondition,
      status: allowed ? 'True' : 'False',
      reason: allowed ? sufficientPodsReason : insufficientPodsReason,
      message: '',
      observedGeneration: int(status.observedGeneration),
    },
    now,
  );
}

/** pdbhelper.ConditionsAreUpToDate: the condition says what disruptionsAllowed says, for this generation. */
export function conditionsAreUpToDate(pdb: KubeObject): boolean {
  const status = sub(pdb, 'status');
  const cond = findCondition(status.conditions as Condition[] | undefined, disruptionAllowedCondition);
  if (!cond) return false;
  if (int(status.observedGeneration) !== int(pdb.metadata.generation)) return false;
  if (int(status.disruptionsAllowed) > 0) return cond.status === 'True' && cond.reason === sufficientPodsReason;
  return cond.status === 'False' && cond.reason === insufficientPodsReason;
}

export const poddisruptionbudgets: ResourceType = {
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  listKind: 'PodDisruptionBudgetList',
  plural: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  namespaced: true,
  shortNames: ['pdb'],
  categories: [],
  hasStatus: true,
  defaults: defaultPodDisruptionBudget,
  validate: validatePodDisruptionBudget,
  columns: [
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn,
  ],
  cells(pdb, now) {
    const spec = sub(pdb, 'spec');
    return [intOrStringText(spec.minAvailable), intOrStringText(spec.maxUnavailable), int(sub(pdb, 'status').disruptionsAllowed), ageCell(pdb, now)];
  },
  selectableFields: () => ({}),
};
