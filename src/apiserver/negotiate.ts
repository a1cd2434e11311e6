/** Content negotiation for the response formats peapod speaks: JSON, Table, PartialObjectMetadata(List). */
import { notAcceptable } from '../api/errors.js';

export type ResponseShape = 'object' | 'table' | 'partial';

export interface Negotiated {
  shape: ResponseShape;
}

/**
 * Picks the first acceptable alternative in the Accept header. Protobuf is answered as JSON
 * (clients always offer JSON as a fallback); an unknown `as=` is skipped. A header that
 * offers nothing acceptable (text/html alone, or only an unknown `as=`) is a 406, as
 * kube-apiserver answers it, rather than a body the client did not ask for.
 */
export function negotiate(accept: string | undefined): Negotiated {
  if (!accept || !accept.trim()) return { shape: 'object' };
  for (const part of accept.split(',')) {
    const [rawType, ...params] = part.trim().split(';').map((s) => s.trim());
    const type = rawType.toLowerCase();
    const p = new Map(params.map((kv) => kv.split('=') as [string, string]));
    const as = p.get('as');
    if (type === 'application/json' || type === 'application/yaml' || type === '*/*' || type === 'application/*') {
      if (!as) return { shape: 'object' };
      if (as === 'Table' && (p.get('g') ?? 'meta.k8s.io') === 'meta.k8s.io') return { shape: 'table' };
      if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && (p.get('g') ?? 'meta.k8s.io') === 'meta.k8s.io') {
        return { shape: 'partial' };
      }
      continue;
    }
    if (type === 'application/vnd.kubernetes.protobuf' && !as) return { shape: 'object' };
  }
  throw notAcceptable();
}
