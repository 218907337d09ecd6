/**
 * Errors of the object reader. Malformed bytes (offsets, sizes, counts outside the
 * file) are `ParseError` with the offset; a well-formed object using something this
 * reader (or libbpf) does not accept is an `ObjectError` naming the construct.
 */
import { EbpfError } from '../sys/errors.js';

/** A well-formed ELF whose BPF content cannot be turned into a spec (code `'EOBJECT'`). */
export class ObjectError extends EbpfError {
  /** The section the problem is in, when there is one. */
  readonly section: string | undefined;
  constructor(message: string, section?: string) {
    super('EOBJECT', section === undefined ? message : `section ${section}: ${message}`);
    this.section = section;
  }
}
