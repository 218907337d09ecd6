/**
 * Maps created with BTF: the key/value types are loaded into the kernel
 * (BTF_LOAD, Linux 4.18+) so the kernel and bpftool know the layout, and the
 * map's codecs are compiled from the same types.
 */
import type { Codec } from '../codec/codec.js';
import type { BtfSpec } from '../btf/types.js';
import type { MapBtf } from './spec.js';
import { NotSupportedError } from '../sys/errors.js';

/** Codecs compiled from a map's BTF key and value types (0 → none). */
export function btfCodecs(_btf: MapBtf): { key: Codec<unknown> | undefined; value: Codec<unknown> | undefined } {
  throw new NotSupportedError('BTF-typed maps are being wired in (src/codec/btf-codec.ts)');
}

/** Load BTF into the kernel and return its fd. */
export function loadMapBtf(_btf: BtfSpec): number {
  throw new NotSupportedError('BTF loading is being wired in (src/sys/btf-cmds.ts)');
}

/** Codecs for an existing kernel map from its BTF (fetched by btf id). */
export function kernelBtfCodecs(_info: { btfId: number; btfKeyTypeId: number; btfValueTypeId: number }): { key: Codec<unknown> | undefined; value: Codec<unknown> | undefined } {
  return { key: undefined, value: undefined };
}
