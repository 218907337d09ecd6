/**
 * Waiting for an fd to become readable without blocking the event loop: a
 * libuv poll handle (the addon's pollStart) that wakes waiters. Shared by the
 * ring buffer, perf buffer and trace pipe readers.
 *
 * The handle runs only while someone waits, and stops when the fd fires, so a
 * level-triggered fd with unread data never spins the loop, and an idle reader
 * holds no handle (and no timer) that would keep the process alive.
 */
import { bpfError } from '../sys/bpf.js';
import { native } from '../sys/native.js';

const UV_READABLE = 1;

/** Called with `true` when the fd became readable, `false` when the source closed. */
export type Waiter = (ready: boolean) => void;

export class Readiness {
  #handle: object | undefined;
  readonly #waiters = new Set<Waiter>();
  #closed = false;
  readonly #fd: number;
  readonly #what: string;

  constructor(fd: number, what: string) {
    this.#fd = fd;
    this.#what = what;
  }

  #start(): void {
    if (this.#handle || this.#closed) return;
    const h = native().pollStart(this.#fd, UV_READABLE, (status: number) => {
      this.#pause();
      this.#wake(status >= 0);
    });
    if (typeof h === 'number') throw bpfError(-h, 'poll', this.#what);
    this.#handle = h;
  }

  #pause(): void {
    if (this.#handle) native().pollStop(this.#handle);
    this.#handle = undefined;
  }

  #wake(ready: boolean): void {
    const ws = [...this.#waiters];
    this.#waiters.clear();
    for (const w of ws) w(ready && !this.#closed);
  }

  /** Call `waiter` once, when the fd is readable (or with `false` on close). */
  add(waiter: Waiter): void {
    if (this.#closed) { waiter(false); return; }
    this.#waiters.add(waiter);
    this.#start();
  }

  /** Forget `waiter`; stops watching when nobody waits. */
  remove(waiter: Waiter): void {
    this.#waiters.delete(waiter);
    if (this.#waiters.size === 0) this.#pause();
  }

  /** Resolves `true` when readable, `false` after `timeoutMs` (when given) or on close. */
  wait(timeoutMs?: number): Promise<boolean> {
    return waitAny([this], timeoutMs);
  }

  /** Stop watching and wake every waiter with `false` (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pause();
    this.#wake(false);
  }
}

/**
 * Resolves `true` as soon as any source is readable, `false` on timeout or when
 * every source closed. Whatever happens first cancels the rest (no stray timers
 * or poll handles remain).
 */
export function waitAny(sources: readonly Readiness[], timeoutMs?: number): Promise<boolean> {
  if (sources.length === 0) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    let open = sources.length;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (result: boolean) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      for (const s of sources) s.remove(waiter);
      resolve(result);
    };
    const waiter: Waiter = (ready) => {
      if (ready) finish(true);
      else if (--open === 0) finish(false);
    };
    if (timeoutMs !== undefined && timeoutMs >= 0) timer = setTimeout(() => finish(false), timeoutMs);
    for (const s of sources) s.add(waiter);
  });
}
