/**
 * Type-level mapping from type declarations to the JS values a typed map takes
 * and returns, so `createMap({ ..., key: 'u32', value: 'u64' })` is a
 * `BpfMap<number, bigint>` without annotations.
 */
import type { Codec } from '../codec/codec.js';
import type { TypeDecl } from '../codec/declared-types.js';
import type { MapSpec } from './spec.js';

type StructValue<F> = F extends readonly (readonly [string, TypeDecl])[]
  ? { [E in F[number] as E[0]]: DeclValue<E[1]> }
  : Record<string, unknown>;

/** The JS type a declaration encodes and decodes. */
export type DeclValue<D> =
  D extends 'u64' | 'i64' ? bigint
  : D extends 'u8' | 'u16' | 'u32' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64' ? number
  : D extends 'bool' ? boolean
  : D extends { readonly bytes: number } ? Uint8Array
  : D extends { readonly string: number } ? string
  : D extends { readonly array: infer E; readonly length: number } ? DeclValue<E>[]
  : D extends { readonly struct: infer F } ? StructValue<F>
  : D extends Codec<infer T> ? T
  : unknown;

type PerCpuTypes = 'percpu_hash' | 'percpu_array' | 'lru_percpu_hash' | 'percpu_cgroup_storage';

/** Per-CPU maps take and return one value per possible CPU. */
export type PerCpu<T extends MapSpec['type'], V> = T extends PerCpuTypes ? V[] : V;
