/**
 * BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): a binary trie of prefixes with
 * intermediate nodes, built, searched and walked exactly as the kernel does, so
 * longest-prefix lookups, get_next_key's post-order walk and every errno match.
 *
 * Keys are `struct bpf_lpm_trie_key_u8`: a host-order u32 prefix length, then
 * `key_size - 4` data bytes (network order). Node values live in the arena at
 * stable offsets (`valueOffset`); the trie's shape is JavaScript objects.
 */
import type { MapDescriptor } from '../maps/backend.js';
import { copyBytes, readU32, writeU32 } from './bytes.js';
import { EEXIST, EINVAL, ENOENT, ENOSPC } from './errno.js';
import { EmulatedMap, HEADER_WORDS } from './emulated-map.js';
import { SlotAllocator } from './slots.js';

interface TrieNode {
  prefixlen: number;
  data: Uint8Array;
  /** LPM_TREE_NODE_FLAG_IM: an intermediate node without a value. */
  im: boolean;
  child: [TrieNode | null, TrieNode | null];
  /** Value slot, -1 for intermediate nodes. */
  slot: number;
}

export class LpmTrieMap extends EmulatedMap {
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  #root: TrieNode | null = null;
  #entries = 0;
  readonly #slots: SlotAllocator;
  readonly #vs: number;

  constructor(d: MapDescriptor) {
    const slots = new SlotAllocator(d.valueSize, d.maxEntries, HEADER_WORDS * 4);
    super(d, slots.arena, 0, Math.max(4, d.keySize));
    this.#slots = slots;
    this.dataSize = d.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
    this.#vs = d.valueSize;
  }

  get count(): number {
    return this.#entries;
  }

  /** trie_map_ops: the generic lookup, update and delete batch commands. */
  protected override batchOps() {
    return { lookup: true, update: true, delete: true };
  }

  /** longest_prefix_match(): leading bits shared by the node's and the key's data, up to the shorter prefix. */
  #match(node: TrieNode, k: Uint8Array, ko: number, keyPrefixlen: number): number {
    const limit = Math.min(node.prefixlen, keyPrefixlen);
    let len = 0;
    for (let i = 0; i < this.dataSize && len < limit; i++) {
      const x = node.data[i]! ^ k[ko + 4 + i]!;
      if (x === 0) {
        len += 8;
        continue;
      }
      len += Math.clz32(x) - 24;
      break;
    }
    return Math.min(len, limit);
  }

  static #bit(data: Uint8Array, off: number, index: number): 0 | 1 {
    return (data[off + (index >> 3)]! & (1 << (7 - (index & 7)))) !== 0 ? 1 : 0;
  }

  /** trie_lookup_elem(): the longest matching non-intermediate prefix. */
  #lookupNode(k: Uint8Array, ko: number): TrieNode | null {
    const plen = readU32(k, ko);
    if (plen > this.maxPrefixlen) return null; // an invalid prefix length matches nothing
    let found: TrieNode | null = null;
    let node = this.#root;
    while (node) {
      const m = this.#match(node, k, ko, plen);
      if (m === this.maxPrefixlen) {
        found = node;
        break;
      }
      if (m < node.prefixlen) break;
      if (!node.im) found = node;
      node = node.child[LpmTrieMap.#bit(k, ko + 4, node.prefixlen)];
    }
    return found;
  }

  /** Byte offset of the value for the longest prefix matching the key, or -1. */
  valueOffset(key: Uint8Array, keyOffset = 0): number {
    const n = this.#lookupNode(key, keyOffset);
    return n ? this.#slots.offset(n.slot) : -1;
  }

  lookupAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number): number {
    const n = this.#lookupNode(k, ko);
    if (!n) return -ENOENT;
    copyBytes(this.arena.u8, this.#slots.offset(n.slot), v, vo, this.#vs);
    return 0;
  }

  #newNode(k: Uint8Array, ko: number, prefixlen: number): TrieNode {
    return { prefixlen, data: k.slice(ko + 4, ko + 4 + this.dataSize), im: false, child: [null, null], slot: -1 };
  }

  /** trie_check_add_elem() */
  #checkAdd(flags: number): number {
    if (flags === 2) return -ENOENT;
    if (this.#entries === this.descriptor.maxEntries) return -ENOSPC;
    this.#entries++;
    return 0;
  }

  #setValue(node: TrieNode, v: Uint8Array, vo: number): void {
    node.slot = this.#slots.alloc();
    copyBytes(v, vo, this.arena.u8, this.#slots.offset(node.slot), this.#vs);
  }

  updateAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number, flags: number): number {
    if (flags > 2) return -EINVAL;
    const plen = readU32(k, ko);
    if (plen > this.maxPrefixlen) return -EINVAL;
    const fresh = this.#newNode(k, ko, plen);
    // Walk to the slot where the new node belongs.
    let parent: TrieNode | null = null;
    let side: 0 | 1 = 0;
    let node = this.#root;
    let m = 0;
    while (node) {
      m = this.#match(node, k, ko, plen);
      if (node.prefixlen !== m || node.prefixlen === plen) break;
      parent = node;
      side = LpmTrieMap.#bit(k, ko + 4, node.prefixlen);
      node = node.child[side];
    }
    const put = (n: TrieNode): void => {
      if (parent) parent.child[side] = n;
      else this.#root = n;
    };
    if (!node) {
      const r = this.#checkAdd(flags);
      if (r) return r;
      this.#setValue(fresh, v, vo);
      put(fresh);
      return 0;
    }
    if (node.prefixlen === m) {
      // Same prefix: replace the node (an intermediate node becomes a real one).
      if (!node.im) {
        if (flags === 1) return -EEXIST;
      } else {
        const r = this.#checkAdd(flags);
        if (r) return r;
      }
      this.#setValue(fresh, v, vo);
      fresh.child = node.child;
      put(fresh);
      if (node.slot >= 0) this.#slots.free(node.slot);
      return 0;
    }
    const r = this.#checkAdd(flags);
    if (r) return r;
    this.#setValue(fresh, v, vo);
    if (m === plen) {
      // The new prefix contains the node: insert it above.
      fresh.child[LpmTrieMap.#bit(node.data, 0, m)] = node;
      put(fresh);
      return 0;
    }
    // Diverging prefixes: an intermediate node at the common prefix holds both.
    const im: TrieNode = { prefixlen: m, data: node.data.slice(), im: true, child: [null, null], slot: -1 };
    if (LpmTrieMap.#bit(k, ko + 4, m)) {
      im.child[0] = node;
      im.child[1] = fresh;
    } else {
      im.child[0] = fresh;
      im.child[1] = node;
    }
    put(im);
    return 0;
  }

  deleteAt(k: Uint8Array, ko: number): number {
    // trie_delete_elem()
    const plen = readU32(k, ko);
    if (plen > this.maxPrefixlen) return -EINVAL;
    type Slot = { parent: TrieNode | null; side: 0 | 1 };
    let trim: Slot = { parent: null, side: 0 };
    let trim2: Slot = trim;
    let parent: TrieNode | null = null;
    let node = this.#root;
    let m = 0;
    while (node) {
      m = this.#match(node, k, ko, plen);
      if (node.prefixlen !== m || node.prefixlen === plen) break;
      parent = node;
      trim2 = trim;
      const side = LpmTrieMap.#bit(k, ko + 4, node.prefixlen);
      trim = { parent: node, side };
      node = node.child[side];
    }
    if (!node || node.prefixlen !== plen || node.prefixlen !== m || node.im) return -ENOENT;
    const set = (s: Slot, n: TrieNode | null): void => {
      if (s.parent) s.parent.child[s.side] = n;
      else this.#root = n;
    };
    this.#entries--;
    this.#slots.free(node.slot);
    if (node.child[0] && node.child[1]) {
      // Two children: the node becomes intermediate.
      node.im = true;
      node.slot = -1;
      return 0;
    }
    if (parent && parent.im && !node.child[0] && !node.child[1]) {
      // A leaf under an intermediate parent: the parent goes too, its other child moves up.
      set(trim2, node === parent.child[0] ? parent.child[1] : parent.child[0]);
      return 0;
    }
    set(trim, node.child[0] ?? node.child[1]);
    return 0;
  }

  nextKeyAt(k: Uint8Array | null, ko: number, out: Uint8Array, oo: number): number {
    // trie_get_next_key(): post-order; a missing or invalid key restarts at the leftmost node.
    let searchRoot = this.#root;
    if (!searchRoot) return -ENOENT;
    let next: TrieNode | null = null;
    const leftmost = (from: TrieNode): TrieNode => {
      let n: TrieNode | null = from;
      let last: TrieNode = from;
      while (n) {
        if (n.im) {
          n = n.child[0];
        } else {
          last = n;
          n = n.child[0] ?? last.child[1];
        }
      }
      return last;
    };
    const plen = k ? readU32(k, ko) : 0;
    if (k && plen <= this.maxPrefixlen) {
      const stack: TrieNode[] = [];
      let node: TrieNode | null = searchRoot;
      let m = 0;
      while (node) {
        stack.push(node);
        m = this.#match(node, k, ko, plen);
        if (node.prefixlen !== m || node.prefixlen === plen) break;
        node = node.child[LpmTrieMap.#bit(k, ko + 4, node.prefixlen)];
      }
      if (node && node.prefixlen === m && !node.im) {
        let cur = stack[stack.length - 1]!;
        let sp = stack.length - 1;
        let done = false;
        while (sp > 0) {
          const p = stack[sp - 1]!;
          if (p.child[0] === cur && p.child[1]) {
            next = leftmost(p.child[1]);
            done = true;
            break;
          }
          if (!p.im) {
            next = p;
            done = true;
            break;
          }
          cur = p;
          sp--;
        }
        if (!done) return -ENOENT;
      } else {
        next = leftmost(searchRoot);
      }
    } else {
      next = leftmost(searchRoot);
    }
    writeU32(out, oo, next!.prefixlen);
    copyBytes(next!.data, 0, out, oo + 4, this.dataSize);
    return 0;
  }
}
