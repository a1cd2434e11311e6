/**
 * Content negotiation for the response formats peapod speaks: JSON (or YAML), as an object,
 * Table or PartialObjectMetadata(List).
 */
import { stringify } from 'yaml';
import { notAcceptable } from '../api/errors.js';
import type { AggregatedDiscoveryVersion } from './discovery.js';

export type ResponseShape = 'object' | 'table' | 'partial';

const metaVersions = new Set(['v1', 'v1beta1']);

export interface Negotiated {
  shape: ResponseShape;
  /** application/yaml was the first acceptable type: the body is YAML. A watch refuses it (406). */
  yaml: boolean;
}

/**
 * Picks the first acceptable alternative in the Accept header. Protobuf is answered as JSON
 * (clients always offer JSON as a fallback); an unknown `as=` is skipped. A header that
 * offers nothing acceptable (text/html alone, or only an unknown `as=`) is a 406, as
 * kube-apiserver answers it, rather than a body the client did not ask for.
 */
export function negotiate(accept: string | undefined): Negotiated {
  if (!accept || !accept.trim()) return { shape: 'object', yaml: false };
  for (const part of accept.split(',')) {
    const [rawType, ...params] = part.trim().split(';').map((s) => s.trim());
    const type = rawType.toLowerCase();
    const p = new Map(params.map((kv) => kv.split('=') as [string, string]));
    const as = p.get('as');
    if (type === 'application/json' || type === 'application/yaml' || type === '*/*' || type === 'application/*') {
      const yaml = type === 'application/yaml';
      if (!as) return { shape: 'object', yaml };
      // meta.k8s.io serves these in v1 and v1beta1; any other group or version is not on offer.
      if ((p.get('g') ?? 'meta.k8s.io') !== 'meta.k8s.io' || !metaVersions.has(p.get('v') ?? 'v1')) continue;
      if (as === 'Table') return { shape: 'table', yaml };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { shape: 'partial', yaml };
      continue;
    }
    if (type === 'application/vnd.kubernetes.protobuf' && !as) return { shape: 'object', yaml: false };
  }
  throw notAcceptable();
}

/**
 * A response body as kube-apiserver writes application/yaml: its JSON turned into YAML the way
 * sigs.k8s.io/yaml does (keys sorted, list items not indented under their key, no anchors).
 */
export function toYAML(body: unknown, rawJSON: string | undefined): string {
  // Through JSON, so the YAML says exactly what the JSON answer would (toJSON, dropped undefineds).
  const plain: unknown = JSON.parse(rawJSON ?? JSON.stringify(body));
  // YAML 1.1 quoting, as Go's yaml (and so kube-apiserver) writes: "2026-01-01T00:00:00Z", "yes", "y" stay strings
  // for readers that resolve them the 1.1 way.
  return stringify(plain, { version: '1.1', sortMapEntries: true, indentSeq: false, aliasDuplicateObjects: false, lineWidth: 0 });
}

/**
 * Which answer /api and /apis give an Accept header: aggregated discovery (an
 * apidiscovery.k8s.io APIGroupDiscoveryList, v2 or v2beta1) when it is offered before plain
 * JSON, as client-go offers it; undefined for the plain APIVersions / APIGroupList (also when
 * nothing in the header is understood: discovery has always answered JSON to anyone).
 * Protobuf alternatives are passed over: peapod writes discovery as JSON only.
 */
export function negotiateDiscovery(accept: string | undefined): AggregatedDiscoveryVersion | undefined {
  for (const part of (accept ?? '').split(',')) {
    const [rawType, ...params] = part.trim().split(';').map((s) => s.trim());
    const type = rawType.toLowerCase();
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const p = new Map(params.map((kv) => kv.split('=') as [string, string]));
    if (!p.has('as')) return undefined;
    if (type === 'application/json' && p.get('g') === 'apidiscovery.k8s.io' && p.get('as') === 'APIGroupDiscoveryList') {
      const v = p.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
    }
  }
  return undefined;
}

/** The Content-Type of an aggregated discovery answer, which is how client-go tells it from a plain one. */
export function aggregatedDiscoveryContentType(version: AggregatedDiscoveryVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}
