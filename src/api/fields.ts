/**
 * Field selectors (`?fieldSelector=spec.nodeName=n1,status.phase!=Failed`): a conjunction of
 * equality tests on a kind's selectable fields. Values may escape `\`, `,` and `=` with a
 * backslash, exactly as Kubernetes does.
 */
import { badRequest, type ApiError } from './errors.js';
import type { KubeObject } from './object.js';
import type { ResourceType } from './resource.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '==' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
}

/** Splits on commas that are not escaped. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const operators = ['!=', '==', '='] as const;

/** The first unescaped operator in a term, with the text on either side. */
function splitTerm(term: string): [string, FieldRequirement['operator'], string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    for (const op of operators) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescapeValue(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '\\' || n === ',' || n === '=') {
        out += n;
        i++;
        continue;
      }
      throw badRequest(`invalid field selector: invalid escape sequence: ${s.slice(i, i + 2)}`);
    }
    if (c === ',' || c === '=') throw badRequest(`invalid field selector: unescaped character in value: ${c}`);
    out += c;
  }
  return out;
}

/** Escapes a value for use in a field selector string. */
export function escapeFieldValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

/**
 * Parses a fieldSelector query string; throws ApiError 400 BadRequest for anything but
 * `field=value`, `field==value` and `field!=value` terms joined by commas.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(s)) {
    if (term === '') continue;
    const parts = splitTerm(term);
    if (!parts) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`) as ApiError;
    const [field, operator, raw] = parts;
    requirements.push({ field: field.trim(), operator, value: unescapeValue(raw) });
  }
  requirements.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  return { requirements };
}

/** Whether the object's field values satisfy every requirement; an absent field reads as "". */
export function matchesFields(sel: FieldSelector, fields: Record<string, string>): boolean {
  return sel.requirements.every((r) => {
    const have = Object.prototype.hasOwnProperty.call(fields, r.field) ? fields[r.field] : '';
    return r.operator === '!=' ? have !== r.value : have === r.value;
  });
}

/** The canonical string form ("a=b,c!=d"), values escaped. */
export function fieldSelectorToString(sel: FieldSelector): string {
  return sel.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
}

/** Every field a fieldSelector may test for obj: metadata.name, metadata.namespace and the kind's own. */
export function fieldValues(rt: ResourceType, obj: KubeObject): Record<string, string> {
  return {
    'metadata.name': obj.metadata?.name ?? '',
    'metadata.namespace': obj.metadata?.namespace ?? '',
    ...rt.selectableFields(obj),
  };
}

/**
 * Names of the fields a kind supports in field selectors. Worked out from an empty object, so
 * every kind's selectableFields must return all its keys even when the values are empty.
 */
export function supportedFields(rt: ResourceType): Set<string> {
  return new Set(Object.keys(fieldValues(rt, { metadata: {} })));
}

/**
 * ApiError 400 "field label not supported: <field>" for the first field the kind does not
 * support, as kube-apiserver answers; undefined when all are supported.
 */
export function checkFieldSelector(rt: ResourceType, sel: FieldSelector): ApiError | undefined {
  const supported = supportedFields(rt);
  for (const r of sel.requirements) {
    if (!supported.has(r.field)) return badRequest(`field label not supported: ${r.field}`);
  }
  return undefined;
}
