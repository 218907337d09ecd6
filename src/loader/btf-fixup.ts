/**
 * The object BTF fix-ups (DATASEC sizes, variable offsets, extern linkage) moved to the
 * object reader: `readCollectionSpec` returns `spec.btf` already fixed, and the loader
 * hands that blob to BPF_BTF_LOAD as is. Re-exported here so `ebpf/loader`'s
 * `fixupObjectBtf` keeps working for CollectionSpecs built by hand.
 */
export { fixupObjectBtf } from '../object/btf-fixup.js';
