/**
 * A codec turns a JS value into the bytes a map key or value holds and back.
 * Codecs are compiled once per type (from a TS declaration or from BTF) into
 * straight-line functions; nothing is interpreted per value.
 *
 * Byte order is the host's, as the kernel stores map data in native order.
 */
export interface Codec<T = unknown> {
  /** Exact byte size of the encoded form. */
  readonly size: number;
  /** Human-readable type, used in error messages (`'u32'`, `'struct flow_key'`). */
  readonly description: string;
  /**
   * Alignment in bytes when the codec is placed inside a declared struct or array
   * (C `_Alignof`). Optional: a codec without it is aligned to the largest power
   * of two (at most 8) that divides its size.
   */
  readonly align?: number;
  /**
   * Write `value` at `offset` of `view`. Padding and unused bytes are written as zero.
   * Throws `InvalidArgumentError` when the value does not fit the type (wrong JS type, out of range, too long).
   * `name` (optional, default `'value'`) is how the value is called in error messages,
   * e.g. `'key'` gives `key.flow.sport: expected u16 (0..65535), got 70000`.
   */
  encode(view: DataView, offset: number, value: T, name?: string): void;
  /** Read a value at `offset` of `view`. Never throws for in-bounds offsets. */
  decode(view: DataView, offset: number): T;
}
