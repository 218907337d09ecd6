/**
 * Closes kernel map fds on a worker thread. Closing a map that served batch
 * commands waits for an RCU grace period in the kernel (milliseconds); doing it
 * off the main thread keeps the differential suite fast. `drain()` waits until
 * every fd handed over is closed, so no fd outlives the test.
 */
import { Worker } from 'node:worker_threads';

const source = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.addon);
parentPort.on('message', (m) => {
  if (m === 'drain') { parentPort.postMessage('drained'); return; }
  addon.close(m);
});
`;

export class FdCloser {
  readonly #worker: Worker;
  constructor() {
    const addon = new URL('../../../build/Release/ebpf_native.node', import.meta.url).pathname;
    this.#worker = new Worker(source, { eval: true, workerData: { addon } });
    this.#worker.unref();
  }
  close(fd: number): void {
    this.#worker.postMessage(fd);
  }
  async drain(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#worker.once('message', () => resolve());
      this.#worker.postMessage('drain');
    });
    await this.#worker.terminate();
  }
}
