/**
 * A minimal reader for the protobuf wire format: tags, varints, fixed-width numbers and
 * length-delimited slices. It knows nothing about schemas; decode.ts gives the bytes meaning.
 * Every malformation is reported as a 400 BadRequest, since the bytes come from a client.
 */
import { badRequest, type ApiError } from '../../api/errors.js';

/** How a field's value is laid out on the wire. */
export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** A field key: which field follows and how its value is encoded. */
export interface Tag {
  /** Field number, 1 or more. */
  field: number;
  /** One of WireType, or 3/4 (groups), which callers reject. */
  wireType: number;
}

export class WireReader {
  private pos = 0;
  private readonly view: DataView;

  /** `where` names the message being read (a JSON path), for error messages. */
  constructor(
    private readonly buf: Uint8Array,
    private readonly where = 'body',
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** True once every byte has been consumed. */
  done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Reads a field key; field numbers start at 1. */
  tag(): Tag {
    const at = this.pos;
    const key = this.uint64();
    const field = Number(key >> 3n);
    if (field === 0 || field > 0x1fffffff) throw this.error(`invalid field number ${field}`, at);
    return { field, wireType: Number(key & 7n) };
  }

  /** Reads a base-128 varint as an unsigned 64-bit value (at most 10 bytes). */
  uint64(): bigint {
    const at = this.pos;
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw this.error('truncated varint', at);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw this.error('varint longer than 10 bytes', at);
  }

  /** Reads a length-delimited payload (strings, bytes, embedded messages, packed numbers). */
  bytes(): Uint8Array {
    const at = this.pos;
    const len = this.uint64();
    if (len > BigInt(this.buf.length - this.pos)) throw this.error(`length ${len} runs past the end`, at);
    const out = this.buf.subarray(this.pos, this.pos + Number(len));
    this.pos += out.length;
    return out;
  }

  /** Reads a little-endian IEEE 754 double (wire type 1). */
  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a little-endian IEEE 754 float (wire type 5). */
  float(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Skips a field of an unknown number, as proto decoders must for forward compatibility. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.uint64();
        return;
      case WireType.Fixed64:
        this.need(8);
        this.pos += 8;
        return;
      case WireType.LengthDelimited:
        this.bytes();
        return;
      case WireType.Fixed32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        // 3 and 4 are proto2 groups, which no Kubernetes message uses.
        throw this.error(`unsupported wire type ${wireType}`, this.pos);
    }
  }

  private need(n: number): void {
    if (this.buf.length - this.pos < n) throw this.error(`truncated ${n}-byte value`, this.pos);
  }

  private error(what: string, at: number): ApiError {
    return badRequest(`malformed protobuf in ${this.where}: ${what} at byte ${at}`);
  }
}
