/**
 * ClusterRole aggregation (kube-controller-manager's clusterrole-aggregation controller): a
 * ClusterRole with an aggregationRule holds the union of the rules of the ClusterRoles its
 * selectors match, selector by selector, each selector's roles in name order, every rule once.
 */
import { labelSelectorAsSelector, matchesLabels, type LabelSelector } from '../labels.js';
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import { fromPolicyRule, sameRule, toPolicyRule, type PolicyRule } from './policy-rule.js';

/** The aggregationRule's selectors, or undefined when the ClusterRole has none. */
export function aggregationSelectors(clusterRole: KubeObject): LabelSelector[] | undefined {
  const rule = clusterRole.aggregationRule;
  if (!isPlainObject(rule)) return undefined;
  const selectors = rule.clusterRoleSelectors;
  return Array.isArray(selectors) ? selectors.filter(isPlainObject).map((s) => s as LabelSelector) : [];
}

/**
 * The rules `target` should hold given every ClusterRole there is (`all`, in any order), or
 * undefined when it has no aggregationRule. A selector that does not parse is an error, as
 * the controller's LabelSelectorAsSelector is (validation keeps such selectors out).
 */
export function aggregatedRules(target: KubeObject, all: readonly KubeObject[]): PolicyRule[] | undefined {
  const selectors = aggregationSelectors(target);
  if (!selectors) return undefined;
  const byName = [...all].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0));
  const rules: PolicyRule[] = [];
  for (const ls of selectors) {
    const selector = labelSelectorAsSelector(ls);
    for (const role of byName) {
      if (role.metadata.name === target.metadata.name) continue;
      if (!matchesLabels(selector, role.metadata.labels)) continue;
      for (const raw of Array.isArray(role.rules) ? role.rules : []) {
        const r = toPolicyRule(raw);
        if (!rules.some((have) => sameRule(have, r))) rules.push(r);
      }
    }
  }
  return rules;
}

/** Whether the ClusterRole already holds exactly `rules`, in that order. */
export function holdsRules(clusterRole: KubeObject, rules: readonly PolicyRule[]): boolean {
  const current = Array.isArray(clusterRole.rules) ? clusterRole.rules.map(toPolicyRule) : [];
  return current.length === rules.length && current.every((r, i) => sameRule(r, rules[i]!));
}

/** Rules in their wire form, for writing. */
export function wireRules(rules: readonly PolicyRule[]): Record<string, string[]>[] {
  return rules.map(fromPolicyRule);
}

/**
 * Every aggregated role in `roles` with the rules it holds once aggregation has settled (the
 * controller reaches the same in as many passes as roles feed each other: edit feeds admin,
 * view feeds edit). Changes the objects in place and returns them.
 */
export function aggregateAll(roles: KubeObject[]): KubeObject[] {
  for (let pass = 0; pass <= roles.length; pass++) {
    let changed = false;
    for (const role of roles) {
      const rules = aggregatedRules(role, roles);
      if (!rules || holdsRules(role, rules)) continue;
      role.rules = wireRules(rules);
      changed = true;
    }
    if (!changed) break;
  }
  return roles;
}
