/**
 * The error a codec throws when a JS value does not fit its type. It names the
 * full path of the offending field so a user can find it in a nested value:
 *
 *   value.flow.sport: expected u16 (0..65535), got 70000
 */
import { InvalidArgumentError } from '../sys/errors.js';

/** A value passed to `Codec.encode` had the wrong JS type, was out of range, or too long. */
export class CodecValueError extends InvalidArgumentError {
  /** Full path of the field, e.g. `'value.flow.sport'` or `'key[3]'`. */
  readonly path: string;
  /** What the field accepts, e.g. `'u16 (0..65535)'`. */
  readonly expected: string;
  /** The offending JS value. */
  readonly actual: unknown;
  constructor(path: string, expected: string, actual: unknown) {
    super(`${path}: expected ${expected}, got ${describeValue(actual)}`);
    this.path = path;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A short, bounded description of any JS value for error messages. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined (missing)';
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'string': {
      const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
      return `string ${JSON.stringify(shown)} (${value.length} chars)`;
    }
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      if (value === null) return 'null';
      if (Array.isArray(value)) return `an array of ${value.length}`;
      if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${value.byteLength} bytes`;
      return 'an object';
  }
}

/**
 * Thrown by generated codecs; kept out of the generated code so the hot path
 * holds only the comparison and a call.
 */
export function failEncode(name: string | undefined, path: string, expected: string, actual: unknown): never {
  throw new CodecValueError((name ?? 'value') + path, expected, actual);
}
