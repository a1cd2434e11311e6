/** Key and size rules ConfigMaps and Secrets share. */
import type { FieldError } from '../errors.js';
import { maxLenError, regexError, DNS1123_SUBDOMAIN_MAX } from '../labels.js';
import { forbidden, invalidValue, tooLong } from '../validation.js';
import { deepEqual, sub } from './common.js';
import type { KubeObject } from '../object.js';

/** ConfigMap and Secret contents together may not exceed 1 MiB. */
export const MAX_DATA_SIZE = 1024 * 1024;

/** Problems with a ConfigMap or Secret key (it becomes a file name when mounted). */
export function isConfigMapKey(key: string): string[] {
  const errs: string[] = [];
  if (key.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", '[-._a-zA-Z0-9]+', 'key.name', 'KEY_NAME', 'key-name'));
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/**
 * Why s is not standard padded base64 (Go's message, "illegal base64 data at input byte N"),
 * or undefined when it is. Line breaks are skipped, as Go's decoder does.
 */
export function base64Error(s: string): string | undefined {
  const clean = s.replace(/[\r\n]/g, '');
  const at = (i: number) => `illegal base64 data at input byte ${i}`;
  const firstPad = clean.indexOf('=');
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i];
    if (c === '=') {
      if (i < clean.length - 2 || (i === clean.length - 2 && clean[i + 1] !== '=')) return at(i);
      continue;
    }
    if (!/[A-Za-z0-9+/]/.test(c)) return at(i);
  }
  if (clean.length % 4 !== 0) return at(firstPad >= 0 ? firstPad : clean.length - (clean.length % 4));
  return undefined;
}

/** Key errors for one map (data, binaryData, stringData) and its byte size. */
export function validateKeys(map: unknown, path: string, errs: FieldError[]): number {
  let size = 0;
  for (const [k, v] of Object.entries(typeof map === 'object' && map !== null ? map : {})) {
    for (const msg of isConfigMapKey(k)) errs.push(invalidValue(`${path}[${k}]`, k, msg));
    size += typeof v === 'string' ? Buffer.byteLength(v) : 0;
  }
  return size;
}

export function sizeError(size: number, errs: FieldError[], path: string): void {
  if (size > MAX_DATA_SIZE) errs.push(tooLong(path, MAX_DATA_SIZE));
}

/** Once `immutable: true` is stored, neither the flag nor the listed data fields may change. */
export function validateImmutableData(obj: KubeObject, old: KubeObject | undefined, fields: string[]): FieldError[] {
  if (!old || old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!deepEqual(sub(obj, f), sub(old, f))) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}
