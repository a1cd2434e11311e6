/** Errors every Store backend throws, so callers never depend on a backend's own error types. */
export class StorageError extends Error {
  constructor(message: string, readonly key: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends StorageError {}
export class AlreadyExistsError extends StorageError {}
/** The key changed since the revision the caller based its write on. */
export class ConflictError extends StorageError {}
/** The requested revision is older than the store keeps (compacted). */
export class GoneError extends StorageError {
  constructor(message: string, readonly compactedRevision: number, options?: { cause?: unknown }) {
    super(message, '', options);
  }
}
/** The backend cannot be reached or refused the request for a reason other than the above. */
export class UnavailableError extends StorageError {}
