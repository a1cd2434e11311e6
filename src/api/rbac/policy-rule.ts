/**
 * rbac.authorization.k8s.io/v1 PolicyRules: what one rule allows (kube's RuleAllows and the
 * rbacv1helpers matchers), and whether some rules cover others (component-helpers'
 * policy_comparator: Covers, BreakdownRule), with the compact form kube's escalation error
 * prints the rules someone lacks in (CompactRules, CompactString). Pure functions over plain data.
 */
import { isPlainObject } from '../object.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** One rule of a Role or ClusterRole, normalised: every list present (possibly empty). */
export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

/**
 * What a request asks to do, as kube's authorizer.Attributes: a resource request (verb, API
 * group, resource, subresource, namespace, name) or a request for a non-resource path.
 */
export interface RequestAttributes {
  verb: string;
  resourceRequest: boolean;
  /** Non-resource requests: the URL path ("/apis", "/healthz"). */
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  /** '' at the cluster scope. */
  namespace: string;
  /** '' for collections (list, create, deletecollection). */
  name: string;
}

/** Resource attributes with the rest filled in as empty. */
export function resourceAttributes(a: Partial<RequestAttributes> & { verb: string; resource: string }): RequestAttributes {
  return { path: '', apiGroup: '', apiVersion: '', subresource: '', namespace: '', name: '', ...a, resourceRequest: true };
}

/** Non-resource attributes (`verb` is the lowercased HTTP method). */
export function nonResourceAttributes(verb: string, path: string): RequestAttributes {
  return { verb, path, resourceRequest: false, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' };
}

/** A stored rule as a PolicyRule; fields of the wrong type read as empty (validation refuses them on write). */
export function toPolicyRule(raw: unknown): PolicyRule {
  const r = isPlainObject(raw) ? raw : {};
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
  return {
    verbs: strings(r.verbs),
    apiGroups: strings(r.apiGroups),
    resources: strings(r.resources),
    resourceNames: strings(r.resourceNames),
    nonResourceURLs: strings(r.nonResourceURLs),
  };
}

/** A PolicyRule in its wire form: verbs always, the other lists only when non-empty (omitempty). */
export function fromPolicyRule(rule: PolicyRule): Record<string, string[]> {
  const out: Record<string, string[]> = { verbs: [...rule.verbs] };
  if (rule.apiGroups.length) out.apiGroups = [...rule.apiGroups];
  if (rule.resources.length) out.resources = [...rule.resources];
  if (rule.resourceNames.length) out.resourceNames = [...rule.resourceNames];
  if (rule.nonResourceURLs.length) out.nonResourceURLs = [...rule.nonResourceURLs];
  return out;
}

/** A rule built the way bootstrap policy spells them: NewRule(verbs).Groups(...).Resources(...). */
export function rule(verbs: string[], parts: { groups?: string[]; resources?: string[]; names?: string[]; urls?: string[] }): PolicyRule {
  return {
    verbs: [...verbs],
    apiGroups: [...(parts.groups ?? [])],
    resources: [...(parts.resources ?? [])],
    resourceNames: [...(parts.names ?? [])],
    nonResourceURLs: [...(parts.urls ?? [])],
  };
}

// --- Matching a request --------------------------------------------------------------------------

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.some((g) => g === '*' || g === group);
}

/**
 * Whether the rule names the resource: `*`, the exact "resource" or "resource/subresource",
 * or (for a subresource) "*\/subresource".
 */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources) {
    if (r === '*' || r === combined) return true;
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(name);
}

/** `*`, the exact path, or a prefix ending in `*` ("/apis/*"). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(trimTrailingStars(u))) return true;
  }
  return false;
}

/** Whether the rule allows the request (kube's RuleAllows). */
export function ruleAllows(a: RequestAttributes, rule: PolicyRule): boolean {
  if (!a.resourceRequest) return verbMatches(rule, a.verb) && nonResourceURLMatches(rule, a.path);
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return verbMatches(rule, a.verb) && apiGroupMatches(rule, a.apiGroup) && resourceMatches(rule, combined, a.subresource) && resourceNameMatches(rule, a.name);
}

function trimTrailingStars(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === '*') end--;
  return s.slice(0, end);
}

// --- Coverage: may someone holding `owner` grant `servant`? -----------------------------------------

/** The rule split into rules of one group, resource, verb and name each (or one URL and verb). */
export function breakdownRule(r: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of r.apiGroups) {
    for (const resource of r.resources) {
      for (const verb of r.verbs) {
        if (r.resourceNames.length) {
          for (const name of r.resourceNames) out.push(rule([verb], { groups: [group], resources: [resource], names: [name] }));
        } else {
          out.push(rule([verb], { groups: [group], resources: [resource] }));
        }
      }
    }
  }
  for (const url of r.nonResourceURLs) for (const verb of r.verbs) out.push(rule([verb], { urls: [url] }));
  return out;
}

const hasAll = (set: string[], wanted: string[]) => wanted.every((w) => set.includes(w));

function resourceCoversAll(owner: string[], wanted: string[]): boolean {
  if (owner.includes('*') || hasAll(owner, wanted)) return true;
  for (const path of wanted) {
    if (owner.includes(path)) continue;
    const slash = path.indexOf('/');
    if (slash < 0) return false;
    if (!owner.includes(`*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function nonResourceURLCovers(owner: string, sub: string): boolean {
  return owner === sub || (owner.endsWith('*') && sub.startsWith(trimTrailingStars(owner)));
}

/** Whether `owner` (any rule) covers `sub` (one of breakdownRule's pieces). */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = owner.verbs.includes('*') || hasAll(owner.verbs, sub.verbs);
  const groups = owner.apiGroups.includes('*') || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourceCoversAll(owner.resources, sub.resources);
  const urls = sub.nonResourceURLs.every((u) => owner.nonResourceURLs.some((o) => nonResourceURLCovers(o, u)));
  const names = sub.resourceNames.length === 0 ? owner.resourceNames.length === 0 : owner.resourceNames.length === 0 || hasAll(owner.resourceNames, sub.resourceNames);
  return verbs && groups && resources && names && urls;
}

/** Whether `owner` covers every permission `servant` grants, and the pieces it does not. */
export function covers(owner: readonly PolicyRule[], servant: readonly PolicyRule[]): { covered: boolean; missing: PolicyRule[] } {
  const missing = servant.flatMap(breakdownRule).filter((sub) => !owner.some((o) => ruleCovers(o, sub)));
  return { covered: missing.length === 0, missing };
}

/**
 * Merges rules of one group and one resource (and at most one name) that differ only in their
 * verbs, as kube's CompactRules does with the pieces a Covers check leaves over; other rules
 * stay as they are, before the merged ones.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple = r.resourceNames.length <= 1 && r.nonResourceURLs.length === 0 && r.apiGroups.length === 1 && r.resources.length === 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups[0], r.resources[0], r.resourceNames[0] ?? null]);
    const seen = simple.get(key);
    if (seen) seen.verbs.push(...r.verbs);
    else simple.set(key, { ...r, verbs: [...r.verbs] });
  }
  return [...out, ...simple.values()];
}

/** kube's CompactString: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["create" "delete"]}`. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  const q = (l: string[]) => `[${l.map(goQuote).join(' ')}]`;
  if (r.apiGroups.length) parts.push(`APIGroups:${q(r.apiGroups)}`);
  if (r.resources.length) parts.push(`Resources:${q(r.resources)}`);
  if (r.nonResourceURLs.length) parts.push(`NonResourceURLs:${q(r.nonResourceURLs)}`);
  if (r.resourceNames.length) parts.push(`ResourceNames:${q(r.resourceNames)}`);
  if (r.verbs.length) parts.push(`Verbs:${q(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Go's %q of a string (JSON's quoting agrees for the names and paths rules hold). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's %q of a []string: `["a" "b"]`. */
export function goQuoteList(l: readonly string[]): string {
  return `[${l.map(goQuote).join(' ')}]`;
}

/** Whether two rules say the same (the lists in the same order), as equality.Semantic.DeepEqual compares them. */
export function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  const eq = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.verbs, b.verbs) && eq(a.apiGroups, b.apiGroups) && eq(a.resources, b.resources) && eq(a.resourceNames, b.resourceNames) && eq(a.nonResourceURLs, b.nonResourceURLs);
}

/** Every permission there is: what a user needs to set a ClusterRole's aggregationRule. */
export const fullAuthority: readonly PolicyRule[] = [rule(['*'], { groups: ['*'], resources: ['*'] }), rule(['*'], { urls: ['*'] })];
