/**
 * Shape of the generated schema table (schema.ts): just enough of each Kubernetes protobuf
 * message to turn its wire bytes into the JSON object the same request would have carried.
 */

/** Scalar protobuf kinds that occur in the Kubernetes protos. */
export type ScalarKind = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'double' | 'float';

/** One field of a message. */
export interface FieldSchema {
  /** Protobuf field number. */
  n: number;
  /** JSON name; '' when Go embeds the field inline, so its members belong to the parent object. */
  json: string;
  /** A scalar kind, or a message name in short form ("core.v1.PodSpec", "meta.v1.Time"). */
  type: ScalarKind | string;
  /** `repeated`: the field may occur many times (or packed, for numbers) and becomes an array. */
  repeated?: true;
  /** `map<string, type>`: entries are messages {1 key, 2 value} and become one JSON object. */
  map?: true;
  /** Go writes this value field even when zero but JSON omits it (`omitempty`), so drop zeros. */
  omitEmpty?: true;
}

/** A message's fields, ordered by number. */
export type MessageSchema = readonly FieldSchema[];

/** A kind accepted in a protobuf request body and the message its `raw` bytes hold. */
export interface RootKind {
  /** apiVersion as sent in the envelope's TypeMeta, or '*' for kinds every group version has. */
  apiVersion: string;
  kind: string;
  /** Short message name, a key of `messages`. */
  message: string;
}
