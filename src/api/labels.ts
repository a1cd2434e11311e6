/**
 * Labels and label selectors: the syntax rules for label keys and values, the string selector
 * language of `?labelSelector=` (`a=b,c!=d,e in (f,g),!h`), and metav1.LabelSelector objects.
 * Both selector forms compile to the same Selector, a list of requirements that must all hold.
 */
import { badRequest, type FieldError } from './errors.js';
import { isPlainObject } from './object.js';

// ---------------------------------------------------------------------------------------------
// Syntax of names and values (the messages are kube-apiserver's, word for word).

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;

const dns1123Label = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const dns1123Subdomain = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const dns1035Label = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const qualifiedName = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const labelValue = new RegExp(`^${LABEL_VALUE_FMT}$`);

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;
export const LABEL_VALUE_MAX = 63;
const QUALIFIED_NAME_MAX = 63;

/** "msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')", spacing included, as Kubernetes writes it. */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let out = `${msg} (e.g. `;
  examples.forEach((ex, i) => {
    if (i > 0) out += ' or ';
    out += `'${ex}', `;
  });
  return `${out}regex used for validation is '${fmt}')`;
}

export function maxLenError(n: number): string {
  return `must be no more than ${n} characters`;
}

/** Problems with value as an RFC 1123 label (namespace names, container names); empty when fine. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX) errs.push(maxLenError(DNS1123_LABEL_MAX));
  if (!dns1123Label.test(value)) {
    if (dns1123Subdomain.test(value)) errs.push('must not contain dots');
    else
      errs.push(
        regexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          DNS1123_LABEL_FMT,
          'my-name',
          '123-abc',
        ),
      );
  }
  return errs;
}

/** Problems with value as an RFC 1123 subdomain (most object names). */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!dns1123Subdomain.test(value))
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        'example.com',
      ),
    );
  return errs;
}

/** Problems with value as an RFC 1035 label (service names). */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX) errs.push(maxLenError(DNS1123_LABEL_MAX));
  if (!dns1035Label.test(value))
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        'my-name',
        'abc-123',
      ),
    );
  return errs;
}

const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** Problems with value as a qualified name: `[prefix/]name`, the syntax of label and annotation keys. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const msg of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      'a qualified name ' +
        regexError(qualifiedNameErrMsg, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc') +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_MAX) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX)}`);
  if (!qualifiedName.test(name))
    errs.push('name part ' + regexError(qualifiedNameErrMsg, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc'));
  return errs;
}

/** Problems with value as a label value (may be empty). */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX) errs.push(maxLenError(LABEL_VALUE_MAX));
  if (!labelValue.test(value))
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  return errs;
}

function fieldInvalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, value, detail };
}

/** Validation errors for a labels map at `path` (e.g. "metadata.labels"). */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (!isPlainObject(labels)) return [fieldInvalid(path, labels, 'must be a map of string keys to string values')];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of isQualifiedName(k)) errs.push(fieldInvalid(path, k, msg));
    if (typeof v !== 'string') {
      errs.push(fieldInvalid(path, v, 'label values must be strings'));
      continue;
    }
    for (const msg of isValidLabelValue(v)) errs.push(fieldInvalid(path, v, msg));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Selectors.

export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  /** Sorted; exactly one for =, ==, !=, gt, lt; none for exists and !. */
  values: string[];
}

/** A conjunction of requirements; the empty selector matches everything. */
export interface Selector {
  requirements: Requirement[];
  /** Set for the selector that matches nothing (a nil metav1.LabelSelector). */
  matchesNothing?: boolean;
}

export const everything: Selector = { requirements: [] };
export const nothing: Selector = { requirements: [], matchesNothing: true };

/** Whether the labels satisfy every requirement of sel. */
export function matchesLabels(sel: Selector, labels: Record<string, string> | undefined): boolean {
  if (sel.matchesNothing) return false;
  const l = labels ?? {};
  return sel.requirements.every((r) => requirementMatches(r, l));
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(v as string);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(v as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^-?[0-9]+$/.test(v as string)) return false;
      const have = BigInt(v as string);
      const want = BigInt(r.values[0]);
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

/** The canonical string form, requirements sorted by key ("app=web,tier in (a,b)"); "" for everything. */
export function selectorToString(sel: Selector): string {
  return sel.requirements.map(requirementString).join(',');
}

/** Like kubectl's selector cells: "<none>" for the empty selector. */
export function formatSelector(sel: Selector): string {
  return selectorToString(sel) || '<none>';
}

/** "a=b,c=d" for a labels map, keys sorted; "<none>" when empty (kubectl's FormatLabels). */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${(labels as Record<string, string>)[k]}`).join(',');
}

function sortRequirements(reqs: Requirement[]): Requirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Builds one requirement, checking key, values and arity; the messages are Kubernetes'. */
function newRequirement(key: string, operator: Operator, values: string[]): Requirement {
  const problems: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) problems.push(`key: Invalid value: ${JSON.stringify(key)}: ${keyErrs.join('; ')}`);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) problems.push("values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1)
        problems.push(`values: Invalid value: ${JSON.stringify(values)}: exact-match compatibility requires one single value`);
      break;
    case 'exists':
    case '!':
      if (values.length !== 0)
        problems.push(`values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`);
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) {
        problems.push(`values: Invalid value: ${JSON.stringify(values)}: for 'Gt', 'Lt' operators, exactly one value is required`);
      } else if (!/^-?[0-9]+$/.test(values[0])) {
        problems.push(`values[0]: Invalid value: ${JSON.stringify(values[0])}: for 'Gt', 'Lt' operators, the value must be an integer`);
      }
      break;
  }
  values.forEach((v, i) => {
    const errs = isValidLabelValue(v);
    if (errs.length) problems.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${errs.join('; ')}`);
  });
  if (problems.length) throw new SelectorSyntaxError(problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`);
  return { key, operator, values: [...new Set(values)].sort() };
}

class SelectorSyntaxError extends Error {}

// --- The string language -----------------------------------------------------------------------

type Tok =
  | { t: 'id'; lit: string }
  | { t: 'in' | 'notin' | '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<' | 'eos'; lit: string }
  | { t: 'error'; lit: string };

const symbols = ['!', '!=', '(', ')', ',', '=', '==', '>', '<'];
const isSpecial = (c: string) => '=!(),><'.includes(c);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lex(input: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  for (;;) {
    while (i < input.length && isSpace(input[i])) i++;
    if (i >= input.length) {
      toks.push({ t: 'eos', lit: '' });
      return toks;
    }
    if (isSpecial(input[i])) {
      // Longest run of symbol characters that still spells a known operator.
      let buf = '';
      let best = '';
      let j = i;
      while (j < input.length && isSpecial(input[j])) {
        buf += input[j];
        if (symbols.includes(buf)) best = buf;
        else if (best) break;
        j++;
      }
      if (!best) {
        toks.push({ t: 'error', lit: `error expected: keyword found '${buf}'` });
        i = j;
        continue;
      }
      toks.push({ t: best as Exclude<Tok['t'], 'id' | 'error'>, lit: best } as Tok);
      i += best.length;
      continue;
    }
    let j = i;
    while (j < input.length && !isSpace(input[j]) && !isSpecial(input[j])) j++;
    const word = input.slice(i, j);
    toks.push(word === 'in' || word === 'notin' ? { t: word, lit: word } : { t: 'id', lit: word });
    i = j;
  }
}

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  /** The next token; in value position the keywords "in" and "notin" are ordinary identifiers. */
  private peek(values = false): Tok {
    const tok = this.toks[Math.min(this.pos, this.toks.length - 1)];
    return values && (tok.t === 'in' || tok.t === 'notin') ? { t: 'id', lit: tok.lit } : tok;
  }
  private next(values = false): Tok {
    const tok = this.peek(values);
    if (this.pos < this.toks.length - 1) this.pos++;
    return tok;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const tok = this.peek(true);
      if (tok.t === 'eos') return reqs;
      if (tok.t !== 'id' && tok.t !== '!') {
        throw new SelectorSyntaxError(`found '${tok.lit}', expected: !, identifier, or 'end of string'`);
      }
      try {
        reqs.push(this.requirement());
      } catch (e) {
        if (e instanceof SelectorSyntaxError) throw new SelectorSyntaxError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const after = this.next(true);
      if (after.t === 'eos') return reqs;
      if (after.t !== ',') throw new SelectorSyntaxError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const following = this.peek(true);
      if (following.t !== 'id' && following.t !== '!') {
        throw new SelectorSyntaxError(`found '${following.lit}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): Requirement {
    let tok = this.next(true);
    let negated = false;
    if (tok.t === '!') {
      negated = true;
      tok = this.next(true);
    }
    if (tok.t !== 'id') throw new SelectorSyntaxError(`found '${tok.lit}', expected: identifier`);
    const key = tok.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new SelectorSyntaxError(`key: Invalid value: ${JSON.stringify(key)}: ${keyErrs.join('; ')}`);
    // "!key" is complete by itself; whatever follows is the caller's to reject.
    if (negated) return newRequirement(key, '!', []);
    const ahead = this.peek(true);
    if (ahead.t === 'eos' || ahead.t === ',') return newRequirement(key, 'exists', []);

    const op = this.next();
    let operator: Operator;
    switch (op.t) {
      case 'in':
      case 'notin':
      case '=':
      case '==':
      case '!=':
        operator = op.t;
        break;
      case '>':
        operator = 'gt';
        break;
      case '<':
        operator = 'lt';
        break;
      default:
        throw new SelectorSyntaxError(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const values = operator === 'in' || operator === 'notin' ? this.valueSet() : this.exactValue();
    return newRequirement(key, operator, values);
  }

  private valueSet(): string[] {
    const open = this.next(true);
    if (open.t !== '(') throw new SelectorSyntaxError(`found '${open.lit}' expected: '('`);
    const first = this.peek(true);
    if (first.t === ')') {
      this.next(true);
      return [''];
    }
    if (first.t !== 'id' && first.t !== ',') {
      throw new SelectorSyntaxError(`found '${first.lit}', expected: ',', ')' or identifier`);
    }
    const values: string[] = [];
    // Identifiers separated by commas; an empty slot between commas is the empty value.
    let expectValue = true;
    for (;;) {
      const tok = this.next(true);
      if (tok.t === 'id') {
        if (!expectValue) throw new SelectorSyntaxError(`found '${tok.lit}', expected: ',' or ')'`);
        values.push(tok.lit);
        expectValue = false;
      } else if (tok.t === ',') {
        if (expectValue) values.push('');
        expectValue = true;
      } else if (tok.t === ')') {
        if (expectValue) values.push('');
        return values;
      } else {
        throw new SelectorSyntaxError(`found '${tok.lit}', expected: ',', or identifier`);
      }
    }
  }

  private exactValue(): string[] {
    const tok = this.peek(true);
    if (tok.t === 'eos' || tok.t === ',') return [''];
    this.next(true);
    if (tok.t === 'id') return [tok.lit];
    throw new SelectorSyntaxError(`found '${tok.lit}', expected: identifier`);
  }
}

/**
 * Parses a `labelSelector` query string. Throws ApiError 400 BadRequest with Kubernetes'
 * parser message (e.g. "unable to parse requirement: found '', expected: identifier").
 */
export function parseLabelSelector(s: string): Selector {
  try {
    const reqs = new Parser(lex(s)).parse();
    return { requirements: sortRequirements(reqs) };
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw badRequest(e.message);
    throw e;
  }
}

// --- metav1.LabelSelector ----------------------------------------------------------------------

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * Compiles a metav1.LabelSelector: undefined/null matches nothing, {} matches everything.
 * Throws ApiError 400 for an operator Kubernetes does not know or a malformed requirement.
 */
export function labelSelectorAsSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === undefined || ls === null) return nothing;
  const reqs: Requirement[] = [];
  try {
    for (const [k, v] of Object.entries(ls.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
    for (const expr of ls.matchExpressions ?? []) {
      const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const)[expr.operator as 'In'];
      if (!op) throw new SelectorSyntaxError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
      reqs.push(newRequirement(expr.key, op, expr.values ?? []));
    }
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw badRequest(e.message);
    throw e;
  }
  return { requirements: sortRequirements(reqs) };
}

/** kubectl's rendering of a LabelSelector in table cells: "<none>" for empty, "<error>" if invalid. */
export function formatLabelSelector(ls: LabelSelector | null | undefined): string {
  try {
    return formatSelector(labelSelectorAsSelector(ls));
  } catch {
    return '<error>';
  }
}

/** Validation errors for a metav1.LabelSelector at path (e.g. "spec.selector"). */
export function validateLabelSelector(ls: unknown, path: string): FieldError[] {
  if (ls === undefined || ls === null) return [];
  if (!isPlainObject(ls)) return [fieldInvalid(path, ls, 'must be a label selector object')];
  const errs = validateLabels(ls.matchLabels, `${path}.matchLabels`);
  const exprs = ls.matchExpressions;
  if (exprs === undefined || exprs === null) return errs;
  if (!Array.isArray(exprs)) return [...errs, fieldInvalid(`${path}.matchExpressions`, exprs, 'must be a list')];
  exprs.forEach((raw, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const expr = (isPlainObject(raw) ? raw : {}) as Partial<LabelSelectorRequirement>;
    const values = Array.isArray(expr.values) ? expr.values : [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          errs.push({ type: 'FieldValueRequired', field: `${p}.values`, detail: "must be specified when `operator` is 'In' or 'NotIn'" });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          errs.push({ type: 'FieldValueForbidden', field: `${p}.values`, detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
        break;
      default:
        errs.push(fieldInvalid(`${p}.operator`, expr.operator ?? '', 'not a valid selector operator'));
    }
    const key = typeof expr.key === 'string' ? expr.key : '';
    for (const msg of isQualifiedName(key)) errs.push(fieldInvalid(`${p}.key`, key, msg));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(String(v))) errs.push(fieldInvalid(`${p}.values[${j}]`, v, msg));
    });
  });
  return errs;
}

/**
 * A selector for a plain map (Service and ReplicationController selectors): every pair must match.
 * An empty map matches everything; callers for which an empty selector means "select nothing"
 * (a Service without selector) must check for that first.
 */
export function selectorFromMap(m: Record<string, string> | undefined | null): Selector {
  const reqs = Object.entries(m ?? {}).map(([key, v]) => ({ key, operator: '=' as const, values: [v] }));
  return { requirements: sortRequirements(reqs) };
}
