/**
 * metav1.Condition, the condition type of newer kinds (PodDisruptionBudget's status among them):
 * validation as apimachinery's ValidateConditions, and the setter every writer uses
 * (apimeta.SetStatusCondition), so the apiserver and controllers keep lastTransitionTime alike.
 */
import type { FieldError } from './errors.js';
import { isPlainObject } from './object.js';
import { isQualifiedName, regexError } from './labels.js';
import { duplicate, invalidValue, notSupported, required, tooLong } from './validation.js';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

const conditionStatuses = ['False', 'True', 'Unknown'];
const reasonFmt = '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?';
const reasonRe = new RegExp(`^${reasonFmt}$`);
const maxReasonLen = 1024;
const maxMessageLen = 32 * 1024;

/** Field errors of a list of metav1.Conditions at `path` ("status.conditions"), as ValidateConditions reports them. */
export function validateConditions(conditions: unknown, path: string): FieldError[] {
  if (!Array.isArray(conditions)) return [];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  conditions.forEach((raw, i) => {
    const c = isPlainObject(raw) ? raw : {};
    const at = `${path}[${i}]`;
    const type = typeof c.type === 'string' ? c.type : '';
    if (seen.has(type)) errs.push(duplicate(`${at}.type`, type));
    seen.add(type);
    for (const msg of isQualifiedName(type)) errs.push(invalidValue(`${at}.type`, type, msg));
    if (!conditionStatuses.includes(c.status as string)) errs.push(notSupported(`${at}.status`, c.status ?? '', conditionStatuses));
    if (typeof c.observedGeneration === 'number' && c.observedGeneration < 0) {
      errs.push(invalidValue(`${at}.observedGeneration`, c.observedGeneration, 'must be greater than or equal to zero'));
    }
    if (!c.lastTransitionTime) errs.push(required(`${at}.lastTransitionTime`, 'must be set'));
    const reason = typeof c.reason === 'string' ? c.reason : '';
    if (!reason) {
      errs.push(required(`${at}.reason`, 'must be set'));
    } else {
      if (!reasonRe.test(reason)) {
        errs.push(
          invalidValue(
            `${at}.reason`,
            reason,
            regexError(
              "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'",
              reasonFmt,
              'ReasonA',
              'Reason_B',
              'ReasonC,ReasonD',
            ),
          ),
        );
      }
      if (reason.length > maxReasonLen) errs.push(tooLong(`${at}.reason`, maxReasonLen));
    }
    if (typeof c.message === 'string' && c.message.length > maxMessageLen) errs.push(tooLong(`${at}.message`, maxMessageLen));
  });
  return errs;
}

/** The condition of this type, if any. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * apimeta.SetStatusCondition: adds `next` or updates the condition of its type in place.
 * lastTransitionTime moves (to `next`'s, or `now`) only when the status changes; reason,
 * message and observedGeneration always follow `next`. Returns whether anything changed.
 */
export function setStatusCondition(conditions: Condition[], next: Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string }, now: string): boolean {
  const existing = conditions.find((c) => c.type === next.type);
  if (!existing) {
    const added: Condition = { ...next, lastTransitionTime: next.lastTransitionTime || now };
    // observedGeneration is omitempty: 0 is not written.
    if (!added.observedGeneration) delete added.observedGeneration;
    conditions.push(added);
    return true;
  }
  let changed = false;
  if (existing.status !== next.status) {
    existing.status = next.status;
    existing.lastTransitionTime = next.lastTransitionTime || now;
    changed = true;
  }
  if (existing.reason !== next.reason) {
    existing.reason = next.reason;
    changed = true;
  }
  if (existing.message !== next.message) {
    existing.message = next.message;
    changed = true;
  }
  if ((existing.observedGeneration ?? 0) !== (next.observedGeneration ?? 0)) {
    if (next.observedGeneration) existing.observedGeneration = next.observedGeneration;
    else delete existing.observedGeneration;
    changed = true;
  }
  return changed;
}
