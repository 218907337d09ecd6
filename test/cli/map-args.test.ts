/**
 * The bpftool-style argument parser and the text helpers of `ebpf map`,
 * without a kernel. Numbers are checked against C's strtoul (compiled here as
 * the oracle); parsers are fuzzed with fast-check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  ArgReader, isPrefix, matchKeyword, parseCUnsigned, parseU32, readData, readMapRef, readProgRef,
} from '../../src/cli/map-args.ts';
import { CliUsageError } from '../../src/cli/context.ts';
import { hexBlock, hexJson } from '../../src/cli/hex.ts';
import { prettyJsonText } from '../../src/cli/map-json.ts';
import { renderTable } from '../../src/cli/table.ts';

/** Build a tiny C program: for each line "BASE TOKEN", print "ok VALUE" when strtoul consumed the whole non-empty token, else "bad". */
function strtoulOracle(): ((pairs: [0 | 16, string][]) => (bigint | undefined)[]) | undefined {
  const cc = ['cc', 'gcc', 'clang-19', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);
  if (!cc) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'strtoul-'));
  const src = join(dir, 'o.c'), bin = join(dir, 'o');
  writeFileSync(src, `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) { char line[256]; while (fgets(line, sizeof line, stdin)) {
  line[strcspn(line, "\\n")] = 0; int base = atoi(line); char *tok = strchr(line, ' ') + 1; char *end;
  unsigned long v = strtoul(tok, &end, base);
  if (*tok && !*end) printf("ok %lu\\n", v); else printf("bad\\n"); } return 0; }`);
  execFileSync(cc, ['-O0', '-o', bin, src]);
  return (pairs) => {
    const out = execFileSync(bin, { input: pairs.map(([b, t]) => `${b} ${t}\n`).join('') }).toString().trim().split('\n');
    rmSync(dir, { recursive: true, force: true });
    return out.map((l) => (l.startsWith('ok ') ? BigInt(l.slice(3)) : undefined));
  };
}

test('numbers read like C strtoul (base 0 and 16), except the sign and blanks it also takes', () => {
  const oracle = strtoulOracle();
  const token = fc.stringMatching(/^[+]?(0[xX]?)?[0-9a-fA-FxX]{0,10}$/);
  const pairs = fc.sample(fc.tuple(fc.constantFrom<0 | 16>(0, 16), token), 2000);
  pairs.push([0, '0'], [0, '017'], [0, '08'], [0, '0x'], [0, '0x1F'], [16, '0xff'], [16, 'ff'], [16, ''], [0, '+7'], [0, '+']);
  if (!oracle) {
    assert.fail('no C compiler (cc/gcc/clang) to build the strtoul oracle');
  }
  const expected = oracle(pairs);
  pairs.forEach(([base, t], i) => assert.equal(parseCUnsigned(t, base), expected[i], `strtoul('${t}', base ${base})`));
  // refused although strtoul would take them
  for (const t of ['-1', ' 1', '\t7', '']) assert.equal(parseCUnsigned(t), undefined, `'${t}'`);
});

test('DATA: every byte spelling round-trips, sizes are exact, bad bytes say why', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.array(fc.constantFrom('dec', 'hex', 'oct'), { minLength: 40, maxLength: 40 }), (bytes, styles) => {
    const toks = Array.from(bytes, (b, i) => (styles[i] === 'dec' ? String(b) : styles[i] === 'hex' ? `0x${b.toString(16)}` : `0${b.toString(8)}`));
    assert.deepEqual(readData(new ArgReader(toks), bytes.length, 'key'), bytes);
    const hex = ['hex', ...Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))];
    assert.deepEqual(readData(new ArgReader(hex), bytes.length, 'key'), bytes);
  }));
  const r = new ArgReader(['1', '2', 'value', '3']);
  assert.deepEqual(readData(r, 2, 'key', ['value']), new Uint8Array([1, 2]));
  assert.equal(r.peek(), 'value');
  const err = (args: string[], size: number, re: RegExp) =>
    assert.throws(() => readData(new ArgReader(args), size, 'key', ['value']), (e: unknown) => e instanceof CliUsageError && re.test(e.message));
  err(['1', '2', '3'], 4, /expected 4 bytes \(the map's key size\), got 3/);
  err(['1', '2', '3', '4', '5', '6'], 4, /expected 4 bytes.*got 6/);
  err(['1', 'value'], 4, /got 1/);
  err(['256'], 1, /out of range/);
  err(['-1'], 1, /not a byte/);
  err(['hex', 'zz'], 1, /'zz' is not a byte \(expected a hex byte/);
  err(['08'], 1, /not a byte/);
  // in hex mode a token that abbreviates a keyword is still a byte while bytes are expected (bpftool reads exactly N tokens)
  assert.deepEqual(readData(new ArgReader(['hex', 'e', 'a']), 2, 'value', ['exist', 'any']), new Uint8Array([0xe, 0xa]));
});

test('fuzz: any argv gives a result or a CliUsageError, never another exception', () => {
  const word = fc.oneof(fc.constantFrom('id', 'pinned', 'name', 'tag', 'hex', 'key', 'value', 'i', 'p', '0x', '-1', ''), fc.string({ maxLength: 20 }));
  fc.assert(fc.property(fc.array(word, { maxLength: 12 }), fc.nat(64), (argv, size) => {
    for (const f of [
      () => readMapRef(new ArgReader(argv)),
      () => readProgRef(new ArgReader(argv)),
      () => readData(new ArgReader(argv), size, 'key', ['key', 'value']),
      () => parseU32(argv[0] ?? '', 'x'),
    ]) {
      try { f(); } catch (e) { assert.ok(e instanceof CliUsageError, String(e)); }
    }
  }), { numRuns: 2000 });
});

test('MAP/PROG references and keyword abbreviations follow bpftool', () => {
  assert.deepEqual(readMapRef(new ArgReader(['id', '0x10'])), { kind: 'id', id: 16 });
  assert.deepEqual(readMapRef(new ArgReader(['p', '/sys/fs/bpf/x'])), { kind: 'pinned', path: '/sys/fs/bpf/x' });
  assert.deepEqual(readMapRef(new ArgReader(['name', 'counts'])), { kind: 'name', name: 'counts' });
  assert.deepEqual(readProgRef(new ArgReader(['tag', '3B:18:51:87:F1:85:5C:4C'])), { kind: 'tag', tag: '3b185187f1855c4c' });
  assert.throws(() => readMapRef(new ArgReader(['tag', 'x'])), /expected MAP as 'id \.\.\.', 'pinned \.\.\.' or 'name \.\.\.', got 'tag'/);
  assert.throws(() => readMapRef(new ArgReader(['name', 'a_name_longer_than_15'])), /1\.\.15 characters/);
  assert.throws(() => readMapRef(new ArgReader(['id', '4294967296'])), /32 bits/);
  assert.throws(() => readMapRef(new ArgReader(['id'])), /expected MAP id argument/);
  assert.equal(isPrefix('up', 'update'), true);
  assert.equal(isPrefix('', 'update'), false);
  assert.equal(matchKeyword('p', ['show', 'pin', 'push', 'pop']), 'pin', 'first in order wins, as bpftool\'s command table');
  assert.equal(matchKeyword('pu', ['show', 'pin', 'push', 'pop']), 'push');
  assert.equal(matchKeyword('pop', ['popular', 'pop']), 'pop', 'an exact name beats a longer one');
});

test('hex text is bpftool\'s layout; JSON re-indenting keeps every value, duplicate keys included', () => {
  const b = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
  assert.equal(hexBlock(b.subarray(0, 4)), '01 02 03 04');
  assert.equal(hexBlock(b), '01 02 03 04 05 06 07 08  09 0a 0b 0c 0d 0e 0f 10\n11 12 13 14');
  assert.equal(hexJson(new Uint8Array([0, 255])), '["0x00","0xff"]');
  assert.equal(hexJson(new Uint8Array(0)), '[]');
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    const text = JSON.stringify(v);
    assert.deepEqual(JSON.parse(prettyJsonText(text)), JSON.parse(text));
  }), { numRuns: 500 });
  const dup = prettyJsonText('{"":1,"":{"a":"x,]}"},"big":18446744073709551615}');
  assert.equal(dup.match(/"": /g)?.length, 2);
  assert.match(dup, /"a": "x,\]\}"/);
  assert.match(dup, /18446744073709551615/);
  assert.equal(prettyJsonText('{"key":["0x01","0x02"],"e":[],"o":{}}'), '{\n    "key": ["0x01", "0x02"],\n    "e": [],\n    "o": {}\n}');
});

test('tables align columns under their headers', () => {
  const t = renderTable([
    { header: 'ID', cell: (r: { id: number; name: string }) => r.id },
    { header: 'NAME', cell: (r: { id: number; name: string }) => r.name },
  ], [{ id: 7, name: 'a' }, { id: 1234, name: 'longer' }]);
  assert.equal(t, '  ID  NAME\n   7  a\n1234  longer');
  assert.equal(renderTable([{ header: 'X', cell: () => 1 }], []), 'X');
});
