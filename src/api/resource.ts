/**
 * ResourceType: everything the generic REST machinery needs to know about one kind.
 * One object per served resource (pods, deployments, ...), listed in `registry.ts`.
 * The API server has no per-kind code paths beyond what these hooks provide.
 */
import type { FieldError } from './errors.js';
import type { KubeObject } from './object.js';

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0: always shown; 1: only with -o wide. */
  priority: number;
}

export interface ScaleSubresource {
  /** JSON path (dot separated) of the desired replica count, e.g. "spec.replicas". */
  specReplicasPath: string;
  statusReplicasPath: string;
  /** Where the label selector lives, e.g. "spec.selector" (a LabelSelector or a map for RCs). */
  selectorPath: string;
}

export interface ResourceType {
  group: string; // '' for core
  version: string;
  kind: string;
  listKind: string;
  /** Plural resource name used in URLs: "pods". */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Has a /status subresource: main-resource writes ignore status, /status writes ignore everything but status. */
  hasStatus: boolean;
  scale?: ScaleSubresource;
  /** Writes to /status may also change metadata.annotations (Deployments: the revision annotation). */
  statusCarriesAnnotations?: boolean;
  /** Other subresources served for this kind besides status/scale (e.g. "binding", "log", "exec"). */
  extraSubresources?: string[];

  /** Fills in defaults in place (called on create and update, before validation). */
  defaults(obj: KubeObject): void;
  /**
   * On an update of the main resource, before defaulting and validation: drops what the change
   * makes meaningless and the client merely carried over from `old` (a Service's node ports
   * once its type needs none), as the kind's update strategy does in Kubernetes.
   */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** Validation errors for obj; `old` is set on update. Metadata (name, labels, ...) is validated by the caller. */
  validate(obj: KubeObject, old?: KubeObject): FieldError[];
  /** Table columns kubectl get prints (NAME is always first and filled in by the caller, so omit it here). */
  columns: TableColumn[];
  /** Cells for `columns`, in order, for obj; `now` is the server's clock in ms. */
  cells(obj: KubeObject, now: number): unknown[];
  /** Fields this kind supports in fieldSelector besides metadata.name/metadata.namespace, with their values. */
  selectableFields(obj: KubeObject): Record<string, string>;
  /**
   * True when `columns`/`cells` already include the Name column, so the caller must not put
   * NAME first. Only events do this: kubectl shows their name last, and only with -o wide.
   */
  ownNameColumn?: boolean;
}

/** The "apiVersion" string for a resource type: "v1" or "apps/v1". */
export function apiVersionOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}
