/**
 * Typed API errors. Every failure the API server reports is one of these, turned into a
 * meta/v1 Status by `toStatus`, so clients see the code and reason Kubernetes would send.
 */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const s: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** `resource` is the plural resource name, optionally qualified with its group ("deployments.apps"). */
function qualified(resource: string, group?: string): string {
  return group ? `${resource}.${group}` : resource;
}

export function notFound(resource: string, name: string, group?: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, {
    name,
    group,
    kind: resource,
  });
}

export function alreadyExists(resource: string, name: string, group?: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, {
    name,
    group,
    kind: resource,
  });
}

export function conflict(resource: string, name: string, why: string, group?: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`,
    { name, group, kind: resource },
  );
}

/** kube-apiserver's answer when a request cannot even wait for its turn; clients retry after the given time. */
export function tooManyRequests(retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later', { retryAfterSeconds });
}

/**
 * 504 for a read at a resourceVersion the store has not reached, as kube-apiserver words it
 * (storage.NewTooLargeResourceVersionError); clients tell it from other timeouts by the cause.
 */
export function tooLargeResourceVersion(wanted: number, current: number, retryAfterSeconds: number): ApiError {
  const details: StatusDetails = { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] };
  if (retryAfterSeconds > 0) details.retryAfterSeconds = retryAfterSeconds;
  return new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${wanted}, current: ${current}`, details);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function forbidden(message: string): ApiError {
  return new ApiError(403, 'Forbidden', message);
}

/**
 * 403 for a write admission refuses, as apierrors.NewForbidden words it:
 * `pods "web" is forbidden: <why>` (`pods is forbidden: <why>` without a name).
 */
export function forbiddenObject(resource: string, name: string, why: string, group?: string): ApiError {
  const what = qualified(resource, group);
  const message = name ? `${what} ${JSON.stringify(name)} is forbidden: ${why}` : `${what} is forbidden: ${why}`;
  return new ApiError(403, 'Forbidden', message, name ? { name, group, kind: resource } : { group, kind: resource });
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got ${contentType}`);
}

export function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

export function internalError(message: string, cause?: unknown): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, undefined, { cause });
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}

/** One problem with one field, as validation reports it. */
export interface FieldError {
  /** Kubernetes cause type: FieldValueRequired, FieldValueInvalid, FieldValueDuplicate, FieldValueNotSupported, FieldValueForbidden, FieldValueTooLong, FieldValueTooMany, FieldValueTypeInvalid */
  type: string;
  /** JSON path of the field, e.g. "spec.containers[0].name". */
  field: string;
  /** Human text; the Status message renders it as `<field>: <Type>: <message>`. */
  detail: string;
  /** The bad value, when there is one, for the message. */
  value?: unknown;
}

const causeText: Record<string, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueUnknown: 'Unknown field',
  FieldValueNotFound: 'Not found',
};

export function fieldErrorText(e: FieldError): string {
  const head = causeText[e.type] ?? 'Invalid value';
  if (e.type === 'FieldValueRequired' || e.type === 'FieldValueForbidden') {
    return `${e.field}: ${head}${e.detail ? ': ' + e.detail : ''}`;
  }
  if (e.value !== undefined && e.type !== 'FieldValueUnknown') {
    return `${e.field}: ${head}: ${JSON.stringify(e.value)}${e.detail ? ': ' + e.detail : ''}`;
  }
  return `${e.field}: ${head}${e.detail ? ': ' + e.detail : ''}`;
}

/**
 * 422 Invalid with one cause per bad field, as kube-apiserver reports validation failures; the
 * message names the kind with its group, as Kubernetes' GroupKind prints (`Deployment.apps "web"
 * is invalid: ...`, `Pod "p" is invalid: ...` for the core group).
 */
export function invalid(kind: string, name: string, errors: FieldError[], group?: string): ApiError {
  return invalidAs(group ? `${kind}.${group}` : kind, kind, name, errors, group);
}

/** invalid() for a kind of a named group: `Scale.autoscaling "web" is invalid: ...`. */
export function invalidQualified(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  return invalid(kind, name, errors, group);
}

/**
 * 422 for request options kube-apiserver refuses (dryRun, fieldManager, propagationPolicy...):
 * `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: ...`.
 */
export function invalidOptions(kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions' | 'ListOptions', errors: FieldError[]): ApiError {
  return invalidQualified(kind, 'meta.k8s.io', '', errors);
}

function invalidAs(shownKind: string, kind: string, name: string, errors: FieldError[], group?: string): ApiError {
  const list = errors.map(fieldErrorText);
  const msg =
    list.length === 1
      ? `${shownKind} "${name}" is invalid: ${list[0]}`
      : `${shownKind} "${name}" is invalid: [${list.join(', ')}]`;
  return new ApiError(422, 'Invalid', msg, {
    name,
    group,
    kind,
    causes: errors.map((e) => ({
      reason: e.type,
      message: fieldErrorText(e).slice(e.field.length + 2),
      field: e.field,
    })),
  });
}

/** 406: the Accept header names no format the server can answer in. */
export function notAcceptable(): ApiError {
  return new ApiError(
    406,
    'NotAcceptable',
    'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
  );
}

/** Any thrown value as an ApiError; unknown errors become 500 InternalError (and should be logged). */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return internalError(msg, err);
}
