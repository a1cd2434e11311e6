/**
 * Sets of field paths, the unit of ownership in server-side apply, and their wire encoding
 * FieldsV1 (`metadata.managedFields[].fieldsV1`).
 *
 * A path is a list of elements, each in FieldsV1 notation:
 *   `f:<name>`            a field of a struct or an entry of a map
 *   `k:{"name":"nginx"}`  the item of an associative list with these key values (keys sorted)
 *   `v:"value"`           the item of a set with this (JSON) value
 *   `i:3`                 an item by position (only for lists without keys)
 * FieldsV1 nests paths as JSON objects; `{}` marks a path that is a member, and `".": {}`
 * marks the member-ness of a path that also has members below it.
 */
import { isPlainObject } from '../../api/object.js';

export type PathElement = string;
export type FieldPath = readonly PathElement[];

/**
 * Field names repeat across every object of a kind; handing out one string per name saves
 * building (and hashing, when it becomes a property key) a new one on every walk.
 */
const fieldElements = new Map<string, PathElement>();

export function fieldElement(name: string): PathElement {
  let pe = fieldElements.get(name);
  if (pe === undefined) {
    pe = `f:${name}`;
    // Label and annotation keys are unbounded; start over rather than grow without limit.
    if (fieldElements.size >= 20_000) fieldElements.clear();
    fieldElements.set(name, pe);
  }
  return pe;
}

/** `keys` in any order; the encoding sorts them, as structured-merge-diff does. */
export function keyElement(keys: Record<string, unknown>): PathElement {
  const names = Object.keys(keys);
  // Most lists have one key (name, containerPort, type): no sort, no intermediate object.
  if (names.length === 1) return `k:{${JSON.stringify(names[0])}:${JSON.stringify(keys[names[0]!])}}`;
  return `k:{${names
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(keys[k])}`)
    .join(',')}}`;
}

export function valueElement(value: unknown): PathElement {
  return `v:${JSON.stringify(value)}`;
}

export function indexElement(index: number): PathElement {
  return `i:${index}`;
}

/** The field name of an `f:` element, or undefined for list-item elements. */
export function fieldName(pe: PathElement): string | undefined {
  return pe.startsWith('f:') ? pe.slice(2) : undefined;
}

const elementRank: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** FieldsV1 order of sibling elements: fields, keys, values, then indexes by number. */
export function compareElements(a: PathElement, b: PathElement): number {
  const ra = elementRank[a[0]] ?? 4;
  const rb = elementRank[b[0]] ?? 4;
  if (ra !== rb) return ra - rb;
  if (a[0] === 'i' && b[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Human form of a path, as Kubernetes prints it in conflicts:
 * `.spec.template.spec.containers[name="nginx"].image`, `[="value"]`, `[0]`.
 */
export function formatPath(path: FieldPath): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const keys = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
        }
        case 'v':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

/** An immutable-by-convention tree of paths; operations return new sets. */
export class FieldSet {
  /** Whether the path leading to this node is itself in the set. */
  private member = false;
  private readonly children = new Map<PathElement, FieldSet>();

  static of(...paths: FieldPath[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** Adds a path in place (for building a set); an empty path is the root and is ignored. */
  insert(path: FieldPath): this {
    if (path.length === 0) return this;
    let node: FieldSet = this;
    for (const pe of path) {
      let next = node.children.get(pe);
      if (!next) {
        next = new FieldSet();
        node.children.set(pe, next);
      }
      node = next;
    }
    node.member = true;
    return this;
  }

  has(path: FieldPath): boolean {
    let node: FieldSet | undefined = this;
    for (const pe of path) {
      node = node.children.get(pe);
      if (!node) return false;
    }
    return node.member && path.length > 0;
  }

  isEmpty(): boolean {
    if (this.member) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  /** The subtree below one element, if any path goes through it. */
  child(pe: PathElement): FieldSet | undefined {
    return this.children.get(pe);
  }

  /** Whether the node's own path is a member (for walking the tree alongside a value). */
  isMember(): boolean {
    return this.member;
  }

  entries(): IterableIterator<[PathElement, FieldSet]> {
    return this.children.entries();
  }

  union(other: FieldSet): FieldSet {
    return this.combine(other, (a, b) => a || b);
  }

  difference(other: FieldSet): FieldSet {
    return this.combine(other, (a, b) => a && !b);
  }

  intersection(other: FieldSet): FieldSet {
    return this.combine(other, (a, b) => a && b);
  }

  private combine(other: FieldSet | undefined, keep: (a: boolean, b: boolean) => boolean): FieldSet {
    const out = new FieldSet();
    out.member = keep(this.member, other?.member ?? false);
    // Every node a combine builds is non-empty or dropped, so emptiness is a size check here.
    for (const [pe, mine] of this.children) {
      const c = mine.combine(other?.children.get(pe), keep);
      if (c.member || c.children.size > 0) out.children.set(pe, c);
    }
    // Paths only the other set has survive only if keep(false, true) does (union, not difference).
    if (other && keep(false, true)) {
      for (const [pe, theirs] of other.children) {
        if (this.children.has(pe)) continue;
        const c = new FieldSet().combine(theirs, keep);
        if (c.member || c.children.size > 0) out.children.set(pe, c);
      }
    }
    return out;
  }

  /** Every member path, parents before children, siblings in FieldsV1 order. */
  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    const walk = (node: FieldSet, prefix: PathElement[]) => {
      if (node.member && prefix.length > 0) out.push(prefix);
      for (const pe of [...node.children.keys()].sort(compareElements)) walk(node.children.get(pe)!, [...prefix, pe]);
    };
    walk(this, []);
    return out;
  }

  /** FieldsV1 JSON: `"."` first, then elements in structured-merge-diff order. */
  toFieldsV1(): Record<string, unknown> {
    const encode = (node: FieldSet, isRoot: boolean): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      const kids = [...node.children.keys()].sort(compareElements).filter((pe) => !node.children.get(pe)!.isEmpty());
      if (node.member && !isRoot && kids.length > 0) out['.'] = {};
      for (const pe of kids) out[pe] = encode(node.children.get(pe)!, false);
      return out;
    };
    return encode(this, true);
  }

  /** Parses FieldsV1; throws an Error naming the bad element on malformed input. */
  static fromFieldsV1(json: unknown): FieldSet {
    const decode = (value: unknown, at: string): FieldSet => {
      if (!isPlainObject(value)) throw new Error(`fieldsV1 ${at || 'root'}: expected an object`);
      const node = new FieldSet();
      const keys = Object.keys(value);
      if (keys.length === 0) node.member = true;
      for (const k of keys) {
        if (k === '.') {
          node.member = true;
          continue;
        }
        if (!/^[fkvi]:/.test(k)) throw new Error(`fieldsV1 ${at || 'root'}: bad path element ${JSON.stringify(k)}`);
        node.children.set(k, decode(value[k], `${at}/${k}`));
      }
      return node;
    };
    const root = decode(json, '');
    // An empty object at the root is the empty set, not a member.
    root.member = false;
    return root;
  }
}
