/**
 * Maps created with BTF: the key/value types are loaded into the kernel
 * (BTF_LOAD, Linux 4.18+) so the kernel and bpftool know the layout, and the
 * map's codecs are compiled from the same types. Maps opened from the kernel
 * get their codecs from the BTF the kernel holds for them.
 */
import type { Codec } from '../codec/codec.js';
import type { BtfSpec } from '../btf/types.js';
import type { MapBtf } from './spec.js';
import { compileBtfCodec } from '../codec/btf-codec.js';
import { Btf, parseBtf } from '../btf/btf.js';
import { encodeBtf, encodeBtfSpec } from '../btf/encode.js';
import { btfGetFdById, btfLoad, btfRawByFd } from '../sys/btf-cmds.js';
import { HOST_LE } from '../sys/bpf.js';
import { native } from '../sys/native.js';
import { InvalidArgumentError } from '../sys/errors.js';

export interface TypedCodecs {
  key: Codec<unknown> | undefined;
  value: Codec<unknown> | undefined;
}

/**
 * Codecs compiled from a map's BTF key and value types (type id 0 → none).
 * Throws InvalidArgumentError when a type has no value layout (void, fwd, func).
 */
export function btfCodecs(btf: MapBtf): TypedCodecs {
  return {
    key: btf.keyTypeId ? compileBtfCodec(btf.spec, btf.keyTypeId) : undefined,
    value: btf.valueTypeId ? compileBtfCodec(btf.spec, btf.valueTypeId) : undefined,
  };
}

/**
 * Load BTF into the kernel in host byte order and return its fd (the caller
 * closes it once the map holds a reference). Objects compiled for the other
 * byte order are re-encoded first. Throws BtfLoadError with the kernel's log.
 */
export function loadMapBtf(spec: BtfSpec): number {
  if (spec.base) throw new InvalidArgumentError('map BTF must be self-contained, not split BTF on a base');
  let bytes: Uint8Array;
  if (spec instanceof Btf) bytes = spec.littleEndian === HOST_LE ? spec.raw : encodeBtfSpec(spec, { littleEndian: HOST_LE });
  else if (spec.littleEndian === HOST_LE) bytes = spec.raw;
  else {
    const types = [];
    for (let id = 1; id < spec.typeCount; id++) types.push(spec.typeById(id));
    bytes = encodeBtf(types, { littleEndian: HOST_LE });
  }
  return btfLoad(bytes);
}

const kernelBtfCache = new Map<number, BtfSpec>();

/** The BTF the kernel holds under `btfId`, parsed (cached per id; ids are never reused while loaded). */
export function kernelBtfById(btfId: number): BtfSpec {
  const hit = kernelBtfCache.get(btfId);
  if (hit) return hit;
  const fd = btfGetFdById(btfId);
  try {
    const { bytes } = btfRawByFd(fd);
    const spec = parseBtf(bytes);
    kernelBtfCache.set(btfId, spec);
    return spec;
  } finally {
    native().close(fd);
  }
}

/**
 * Codecs for an existing kernel map from its BTF. Returns no codecs (raw bytes)
 * when the BTF cannot be fetched or a type has no value layout, so opening a
 * map never fails because of its BTF.
 */
export function kernelBtfCodecs(info: { btfId: number; btfKeyTypeId: number; btfValueTypeId: number }): TypedCodecs {
  let spec: BtfSpec;
  try {
    spec = kernelBtfById(info.btfId);
  } catch {
    return { key: undefined, value: undefined };
  }
  return safeBtfCodecs({ spec, keyTypeId: info.btfKeyTypeId, valueTypeId: info.btfValueTypeId });
}

/** Like `btfCodecs`, but a type without a value layout yields no codec instead of an error. */
export function safeBtfCodecs(btf: MapBtf): TypedCodecs {
  const safe = (id: number) => {
    if (!id) return undefined;
    try {
      return compileBtfCodec(btf.spec, id);
    } catch {
      return undefined;
    }
  };
  return { key: safe(btf.keyTypeId), value: safe(btf.valueTypeId) };
}
