/**
 * How Kubernetes' resource.Quantity (and Go's %f) shows itself in messages, beyond its value.
 *
 * A Go Quantity remembers the text it was parsed from when that text is already canonical
 * ("100m", "1Gi"), and its String() answers with it; other texts ("0.5", "1000", "1.0") print
 * canonically ("500m", "1k", "1"). Sums are new quantities and print canonically. LimitRanger's
 * messages and defaults go through String(), so they follow this rule, and so does the
 * `%#v` dump of a Quantity that LimitRange validation puts in its field errors
 * (`resource.Quantity{i:resource.int64Amount{value:100, scale:-3}, ...}`).
 */
import { addQuantities, formatQuantity, parseQuantity, type Quantity, type QuantityFormat } from './quantity.js';

/** A quantity with what Go's Quantity caches: the string String() answers with, if any. */
export interface GoQuantity {
  readonly q: Quantity;
  /** The cached text; absent when String() computes the canonical form. */
  readonly s?: string;
}

const decimalExponents: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binaryExponents: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const maxInt64 = (1n << 63n) - 1n;

/** What ParseQuantity builds from a text: the int64 form (value × 10^scale) when it fits, or an inf.Dec. */
interface ParsedForm {
  int?: { value: bigint; scale: number };
  format: QuantityFormat;
  /** Set when ParseQuantity keeps the text itself as the cached string. */
  cached?: string;
}

/** The text of a quantity as it appears in an object (clients may send JSON numbers). */
export function quantityText(v: unknown): string {
  return typeof v === 'number' ? String(v) : (v as string);
}

/**
 * ParseQuantity's internal form for text (which must parse), following its fast path: a
 * number of at most 18 digits at a scale of at least nano becomes an int64, and the text is
 * cached when it is already in canonical form.
 */
function parsedForm(text: string): ParsedForm {
  if (text === '0') return { int: { value: 0n, scale: 0 }, format: 'DecimalSI', cached: text };
  let pos = 0;
  let positive = true;
  if (text[0] === '-' || text[0] === '+') {
    positive = text[0] === '+';
    pos++;
  }
  while (text[pos] === '0') pos++;
  let start = pos;
  while (pos < text.length && text[pos]! >= '0' && text[pos]! <= '9') pos++;
  const num = text.slice(start, pos) || '0';
  let denom = '';
  if (text[pos] === '.') {
    start = ++pos;
    while (pos < text.length && text[pos]! >= '0' && text[pos]! <= '9') pos++;
    denom = text.slice(start, pos);
  }
  const suffix = text.slice(pos);
  let format: QuantityFormat;
  let exponent: number;
  if (suffix in decimalExponents) {
    format = 'DecimalSI';
    exponent = decimalExponents[suffix]!;
  } else if (suffix in binaryExponents) {
    format = 'BinarySI';
    exponent = binaryExponents[suffix]!;
  } else {
    format = 'DecimalExponent';
    exponent = Number(suffix.slice(1));
  }
  let precision: number;
  let scale = 0;
  let mantissa = 1n;
  if (format === 'BinarySI') {
    if (denom.length === 0) {
      mantissa = 1n << BigInt(exponent);
      precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
    } else {
      precision = -1;
    }
  } else {
    scale = exponent;
    precision = 18 - (num.length + denom.length);
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= -9) {
      const shifted = num + denom;
      const value = BigInt(shifted) * mantissa;
      if (value <= maxInt64) {
        const form: ParsedForm = { int: { value: positive ? value : -value, scale }, format };
        const canonical =
          format === 'BinarySI'
            ? exponent % 10 === 0 && (BigInt(shifted) & 7n) !== 0n
            : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
        if (canonical) form.cached = text;
        return form;
      }
    }
  }
  // The inf.Dec form; a binary amount strictly between 0 and 1 turns decimal.
  const q = parseQuantity(text);
  const abs = q.nanos < 0n ? -q.nanos : q.nanos;
  if (format === 'BinarySI' && abs > 0n && abs < 1_000_000_000n) format = 'DecimalSI';
  return { format };
}

/** A Go Quantity as decoded from an object's field (a string, or a number some clients send). */
export function goQuantity(v: unknown): GoQuantity {
  const text = quantityText(v);
  const q = parseQuantity(text);
  const cached = parsedForm(text).cached;
  return cached === undefined ? { q } : { q, s: cached };
}

/** Quantity.String(): the cached text, else the canonical form. */
export function goString(g: GoQuantity): string {
  return g.s ?? formatQuantity(g.q);
}

/** Quantity.Add: a new quantity (no cached text), in the left one's format unless that is zero. */
export function goAdd(a: GoQuantity, b: GoQuantity): GoQuantity {
  const sum = addQuantities(a.q, b.q);
  return { q: a.q.nanos === 0n ? { nanos: sum.nanos, format: b.q.format } : sum };
}

/**
 * Go's `%#v` of the Quantity decoded from v, after String() has cached its text: what
 * field.Invalid shows for a Quantity value (apimachinery prints structs whose String method
 * takes a pointer this way). An inf.Dec is a pointer, whose address Go prints and no one can
 * predict; a fixed one stands in for it.
 */
export function goQuantityDump(v: unknown): string {
  const text = quantityText(v);
  const form = parsedForm(text);
  const s = goString(goQuantity(text));
  const i = form.int ?? { value: 0n, scale: 0 };
  const dec = form.int ? 'nil' : '0xc000a10000';
  return (
    `resource.Quantity{i:resource.int64Amount{value:${i.value}, scale:${i.scale}}, ` +
    `d:resource.infDecAmount{Dec:(*inf.Dec)(${dec})}, s:${JSON.stringify(s)}, Format:${JSON.stringify(form.format)}}`
  );
}

/** Go's %f: six decimals ("+Inf", "NaN" for what a division by zero gives). */
export function goFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  return x.toFixed(6);
}
