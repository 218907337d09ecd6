/**
 * Waiting for an fd to become readable without blocking the event loop: a
 * libuv poll handle (the addon's pollStart) that resolves promises. Shared by
 * the ring buffer, perf buffer and trace pipe readers.
 */
import { bpfError } from '../sys/bpf.js';
import { native } from '../sys/native.js';

const UV_READABLE = 1;

export class Readiness {
  #handle: object | undefined;
  #waiters: (() => void)[] = [];
  #ready = false;
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
      this.#ready = true;
      // Level-triggered: stop watching until someone waits again, so an fd with
      // unread data does not spin the loop.
      if (status >= 0) this.#pause();
      this.#wake();
    });
    if (typeof h === 'number') throw bpfError(-h, 'poll', this.#what);
    this.#handle = h;
  }

  #pause(): void {
    if (this.#handle) native().pollStop(this.#handle);
    this.#handle = undefined;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /**
   * Resolves `true` when the fd is readable, `false` after `timeoutMs` (when
   * given) or when closed. Never blocks the event loop.
   */
  wait(timeoutMs?: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    this.#ready = false;
    this.#start();
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve(this.#ready && !this.#closed);
      };
      this.#waiters.push(done);
      if (timeoutMs !== undefined && timeoutMs >= 0) {
        timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((f) => f !== done);
          if (this.#waiters.length === 0) this.#pause();
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  /** Stop watching and wake every waiter with `false` (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pause();
    this.#wake();
  }
}

/** Wait until any of several readiness sources fires (or the timeout). */
export async function waitAny(sources: readonly Readiness[], timeoutMs?: number): Promise<boolean> {
  if (sources.length === 0) return false;
  // Resolve on the first `true`, or `false` once every source gave up.
  return new Promise<boolean>((resolve) => {
    let pending = sources.length;
    for (const s of sources) {
      void s.wait(timeoutMs).then((ok) => {
        if (ok) resolve(true);
        else if (--pending === 0) resolve(false);
      });
    }
  });
}
