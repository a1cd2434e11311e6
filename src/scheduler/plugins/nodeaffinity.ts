/**
 * NodeAffinity: spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution node
 * selector terms must both match the node; the preferred terms add their weights to the
 * node's score.
 *
 * Terms are ORed, the expressions of a term ANDed; matchExpressions read node labels
 * (In, NotIn, Exists, DoesNotExist, Gt, Lt) and matchFields the node's metadata.name.
 */
import type { KubeObject } from '../../api/object.js';
import { matchesLabels, type Operator, type Requirement, type Selector } from '../../api/labels.js';
import {
  defaultNormalizeScore,
  StateKey,
  success,
  unresolvable,
  type CycleState,
  type FilterPlugin,
  type PreFilterPlugin,
  type ScorePlugin,
  type Status,
} from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

/** A compiled term: label requirements plus field requirements on metadata.name. */
interface CompiledTerm {
  labels: Selector;
  fields: Selector;
  /** An empty or malformed term matches no node. */
  matchesNothing: boolean;
}

const operators: Record<string, Operator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Gt: 'gt',
  Lt: 'lt',
};

function compileRequirements(reqs: NodeSelectorRequirement[] | undefined): Requirement[] | undefined {
  const out: Requirement[] = [];
  for (const r of reqs ?? []) {
    const op = operators[r?.operator];
    if (!op || typeof r.key !== 'string') return undefined;
    const values = Array.isArray(r.values) ? r.values.map(String) : [];
    if ((op === 'gt' || op === 'lt') && (values.length !== 1 || !/^-?[0-9]+$/.test(values[0]!))) return undefined;
    out.push({ key: r.key, operator: op, values });
  }
  return out;
}

export function compileTerm(term: NodeSelectorTerm): CompiledTerm {
  const labels = compileRequirements(term?.matchExpressions);
  const fields = compileRequirements(term?.matchFields);
  const empty = (term?.matchExpressions?.length ?? 0) + (term?.matchFields?.length ?? 0) === 0;
  return {
    labels: { requirements: labels ?? [] },
    fields: { requirements: fields ?? [] },
    matchesNothing: empty || !labels || !fields,
  };
}

function termMatches(t: CompiledTerm, node: KubeObject): boolean {
  if (t.matchesNothing) return false;
  if (!matchesLabels(t.labels, node.metadata.labels)) return false;
  if (t.fields.requirements.length === 0) return true;
  return matchesLabels(t.fields, { 'metadata.name': node.metadata.name ?? '' });
}

/** What the pod asks of a node's labels, compiled once per scheduling cycle. */
export interface RequiredNodeAffinity {
  nodeSelector?: Selector;
  /** undefined: no required affinity; otherwise at least one term must match. */
  terms?: CompiledTerm[];
}

export interface PreferredTerm {
  weight: number;
  term: CompiledTerm;
}

export function requiredNodeAffinity(pod: KubeObject): RequiredNodeAffinity {
  const out: RequiredNodeAffinity = {};
  const sel = pod.spec?.nodeSelector;
  if (sel && typeof sel === 'object' && Object.keys(sel).length > 0) {
    out.nodeSelector = { requirements: Object.entries(sel).map(([key, v]) => ({ key, operator: '=' as const, values: [String(v)] })) };
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) out.terms = ((required.nodeSelectorTerms ?? []) as NodeSelectorTerm[]).map(compileTerm);
  return out;
}

export function preferredNodeAffinity(pod: KubeObject): PreferredTerm[] {
  const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (!Array.isArray(preferred)) return [];
  return preferred
    .filter((p) => p && Number(p.weight) !== 0)
    .map((p) => ({ weight: Number(p.weight) || 0, term: compileTerm(p.preference ?? {}) }));
}

/** Pure: does the node satisfy the pod's nodeSelector and required node affinity? */
export function matchesRequiredNodeAffinity(req: RequiredNodeAffinity, node: KubeObject): boolean {
  if (req.nodeSelector && !matchesLabels(req.nodeSelector, node.metadata.labels)) return false;
  if (req.terms && !req.terms.some((t) => termMatches(t, node))) return false;
  return true;
}

/** Pure: the sum of the weights of the preferred terms the node matches. */
export function preferredNodeAffinityScore(terms: readonly PreferredTerm[], node: KubeObject): number {
  let score = 0;
  for (const t of terms) if (termMatches(t.term, node)) score += t.weight;
  return score;
}

export function nodeAffinityFilter(pod: KubeObject, node: KubeObject): Status {
  return matchesRequiredNodeAffinity(requiredNodeAffinity(pod), node) ? success : unresolvable(ERR_REASON_POD);
}

const requiredKey = new StateKey<RequiredNodeAffinity>('NodeAffinity/required');
const preferredKey = new StateKey<PreferredTerm[]>('NodeAffinity/preferred');

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, ScorePlugin {
  readonly name = 'NodeAffinity';
  readonly weight: number;

  constructor(opts: { weight?: number } = {}) {
    this.weight = opts.weight ?? 2;
  }

  preFilter(state: CycleState, pod: KubeObject): Status {
    state.write(requiredKey, requiredNodeAffinity(pod));
    state.write(preferredKey, preferredNodeAffinity(pod));
    return success;
  }

  filter(state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): Status {
    const req = state.read(requiredKey) ?? requiredNodeAffinity(pod);
    if (!req.nodeSelector && !req.terms) return success;
    return nodeInfo.node && matchesRequiredNodeAffinity(req, nodeInfo.node) ? success : unresolvable(ERR_REASON_POD);
  }

  score(state: CycleState, pod: KubeObject, nodeInfo: NodeInfo): number {
    const terms = state.read(preferredKey) ?? preferredNodeAffinity(pod);
    return terms.length && nodeInfo.node ? preferredNodeAffinityScore(terms, nodeInfo.node) : 0;
  }

  normalizeScore(_state: CycleState, _pod: KubeObject, scores: number[]): void {
    defaultNormalizeScore(scores, false);
  }
}
