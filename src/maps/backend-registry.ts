/**
 * Backends other than the kernel register themselves here, so the map layer
 * never imports them (src/emu depends on src/maps, not the other way round).
 * `import 'ebpf'` registers the emulator.
 */
import type { MapBackend, MapDescriptor } from './backend.js';
import type { MapSpec } from './spec.js';
import { InvalidArgumentError } from '../sys/errors.js';

export type BackendFactory = (descriptor: MapDescriptor, spec: MapSpec) => MapBackend;

const factories = new Map<string, BackendFactory>();

/** Register a backend under a name (the emulator registers `'emulator'`). */
export function registerBackend(name: string, factory: BackendFactory): void {
  factories.set(name, factory);
}

/** The factory for a backend name. Throws InvalidArgumentError when none is registered. */
export function backendFactory(name: string): BackendFactory {
  const f = factories.get(name);
  if (!f) throw new InvalidArgumentError(`no '${name}' map backend is registered (import 'ebpf' or its emu module first)`);
  return f;
}
