/**
 * Typed errors of the collection loader. Each names what went wrong and what
 * was expected, and keeps the underlying error (a `BpfError`, a verifier error)
 * as `cause`.
 */
import { EbpfError } from '../sys/errors.js';

/** A CO-RE relocation could not be resolved or applied (tools/lib/bpf/relo_core.c semantics). */
export class CoreRelocationError extends EbpfError {
  /** Program whose instruction carries the relocation (`''` when computed standalone). */
  readonly program: string;
  /** Instruction index (8-byte slots) within the program, -1 when unknown. */
  readonly insn: number;
  constructor(program: string, insn: number, message: string, options?: { cause?: unknown }) {
    super('ECORE', `${program ? `program ${program}: ` : ''}CO-RE relocation${insn >= 0 ? ` at insn #${insn}` : ''}: ${message}`, options);
    this.program = program;
    this.insn = insn;
  }
}

/** A pinned or user-supplied map does not match the object's definition, so it cannot be reused. */
export class IncompatibleMapError extends EbpfError {
  readonly map: string;
  /** Which property differs (`'type'`, `'keySize'`, `'valueSize'`, `'maxEntries'`, `'flags'`). */
  readonly field: string;
  readonly expected: number;
  readonly actual: number;
  constructor(map: string, field: string, expected: number, actual: number, where: string) {
    super('EINCOMPATIBLE', `map ${map}: ${where} has ${field} ${actual}, but the object declares ${field} ${expected}`);
    this.map = map;
    this.field = field;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The object cannot be loaded as written: an unsupported section, a missing symbol or BTF, a bad reference. */
export class LoaderError extends EbpfError {
  /** The program or map concerned, `''` when the whole object. */
  readonly subject: string;
  constructor(code: string, subject: string, message: string, options?: { cause?: unknown }) {
    super(code, subject ? `${subject}: ${message}` : message, options);
    this.subject = subject;
  }
}

/** A program's attach target (kernel function, tracepoint, BTF type) does not exist on this kernel. */
export class AttachTargetError extends LoaderError {
  readonly target: string;
  constructor(program: string, target: string, message: string, options?: { cause?: unknown }) {
    super('ENOTARGET', `program ${program}`, `attach target ${target}: ${message}`, options);
    this.target = target;
  }
}
