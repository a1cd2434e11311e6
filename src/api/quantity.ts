/**
 * Kubernetes resource quantities ("500m", "1Gi", "1e3"), parsed exactly.
 *
 * A quantity is held as an integer count of nano-units (bigint) plus the suffix family it was
 * written in, which decides how it prints. Anything finer than a nano-unit is rounded up, away
 * from zero, as the API server does, so "0.1n" reads as "1n".
 */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The amount in units of 10^-9 ("1" is 1_000_000_000n). */
  nanos: bigint;
  format: QuantityFormat;
}

/** The text kube-apiserver answers with when a quantity does not have the right shape. */
export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const NANO = 1_000_000_000n;

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixByPower = new Map(Object.entries(binarySuffixes).map(([s, p]) => [p / 10, s]));

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Integer division rounding away from zero. */
function divAwayFromZero(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b === a ? q : a < 0n ? q - 1n : q + 1n;
}

const numberPart = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)/;

/**
 * The same few quantities ("100m", "128Mi") appear in every pod of a workload; parsed ones are
 * kept (Quantity is immutable by convention, so sharing is safe). Bounded: cleared when full.
 */
const parsed = new Map<string, Quantity>();

/** Parses a quantity string; throws QuantityError with Kubernetes' message when it is malformed. */
export function parseQuantity(input: string): Quantity {
  const known = parsed.get(input);
  if (known) return known;
  const q = parseQuantityUncached(input);
  if (parsed.size >= 4096) parsed.clear();
  parsed.set(input, Object.freeze(q));
  return q;
}

function parseQuantityUncached(input: string): Quantity {
  if (typeof input !== 'string' || input.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const m = numberPart.exec(input);
  if (!m) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const num = m[0];
  const suffix = input.slice(num.length);
  if (!/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) throw new QuantityError(QUANTITY_FORMAT_ERROR);

  let negative = false;
  let digits = num;
  if (digits[0] === '+' || digits[0] === '-') {
    negative = digits[0] === '-';
    digits = digits.slice(1);
  }
  const [whole, frac = ''] = digits.split('.');
  // value = mantissa * 10^-frac.length
  let mantissa = BigInt((whole || '0') + frac);
  let scale10 = -frac.length;
  let format: QuantityFormat;
  let power2 = 0;

  if (suffix in decimalSuffixes) {
    format = 'DecimalSI';
    scale10 += decimalSuffixes[suffix];
  } else if (suffix in binarySuffixes) {
    format = 'BinarySI';
    power2 = binarySuffixes[suffix];
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    const exp = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 1000) throw new QuantityError("unable to parse quantity's suffix");
    scale10 += exp;
  } else {
    throw new QuantityError("unable to parse quantity's suffix");
  }

  mantissa <<= BigInt(power2);
  // Convert to nanos: multiply by 10^(scale10 + 9), rounding up when that is a division.
  const shift = scale10 + 9;
  let nanos = shift >= 0 ? mantissa * pow10(shift) : divAwayFromZero(mantissa, pow10(-shift));
  if (negative) nanos = -nanos;
  return { nanos, format };
}

/** True when s parses as a quantity. */
export function isQuantity(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  try {
    parseQuantity(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * The canonical text Kubernetes serializes a quantity as: the largest suffix of the quantity's
 * family that keeps the number an integer ("0.5" → "500m", "1024Mi" → "1Gi", "1000" → "1k").
 * Binary quantities below 1Ki or with a fractional byte count print as decimal.
 */
export function formatQuantity(q: Quantity): string {
  const { nanos } = q;
  if (nanos === 0n) return '0';
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;

  if (q.format === 'BinarySI' && abs >= 1024n * NANO && abs % NANO === 0n) {
    let units = abs / NANO;
    let power = 0;
    while (power < 6 && units % 1024n === 0n) {
      units /= 1024n;
      power++;
    }
    return `${sign}${units}${power === 0 ? '' : binarySuffixByPower.get(power)}`;
  }

  // Largest exponent (a multiple of 3, from -9 up to 18) that keeps the mantissa integral. An
  // exponent has no such ceiling, as in Kubernetes: "1e400" stays "1e400", not 382 zeros and "e18".
  const ceiling = q.format === 'DecimalExponent' ? Infinity : 18;
  let exponent = -9;
  let mantissa = abs;
  while (exponent < ceiling && mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exponent += 3;
  }
  if (q.format === 'DecimalExponent') {
    return `${sign}${mantissa}${exponent === 0 ? '' : 'e' + exponent}`;
  }
  return `${sign}${mantissa}${decimalSuffixByExponent.get(exponent)}`;
}

/** Parses and re-serializes: the form Kubernetes stores and returns. */
export function canonicalQuantity(s: string): string {
  return formatQuantity(parseQuantity(s));
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** The value in thousandths, rounded up away from zero (CPU "250m" → 250). */
export function milliValue(q: Quantity): bigint {
  return divAwayFromZero(q.nanos, 1_000_000n);
}

/** The value in whole units, rounded up away from zero ("1500m" → 2, "1Ki" → 1024). */
export function value(q: Quantity): bigint {
  return divAwayFromZero(q.nanos, NANO);
}

/** The sum, in a's format (the left operand's format wins, as in Kubernetes' Add). */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.format };
}
