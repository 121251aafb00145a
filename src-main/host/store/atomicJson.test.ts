import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicWriter, readJson } from './atomicJson';
import { Store } from './Store';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'reckon-atomic-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

/** A document of about `mb` megabytes whose every part names its version, so a torn mix is detectable. */
function bigDoc(version: number, mb: number): { version: number; rows: string[] } {
  const row = `v${version}:${'x'.repeat(1000)}`;
  return { version, rows: Array.from({ length: mb * 1000 }, () => row) };
}

describe('atomic JSON writer', () => {
  it('a reader never sees a partial file while large documents are rewritten', async () => {
    const path = join(dir, 'big.json');
    const w = new AtomicWriter();
    await w.write(path, JSON.stringify(bigDoc(0, 4)));
    const writes: Promise<void>[] = [];
    for (let v = 1; v <= 6; v++) writes.push(w.write(path, JSON.stringify(bigDoc(v, 4))));
    let writing = true;
    const all = Promise.all(writes).finally(() => { writing = false; });
    let reads = 0;
    // Read as fast as the file system allows until the writes end: each read is one whole version.
    while (writing || reads < 3) {
      const doc = JSON.parse(await readFile(path, 'utf8')) as { version: number; rows: string[] };
      expect(doc.rows).toHaveLength(4000);
      expect(doc.rows.every((r) => r.startsWith(`v${doc.version}:`))).toBe(true);
      reads++;
    }
    await all;
    expect((JSON.parse(await readFile(path, 'utf8')) as { version: number }).version).toBe(6);
    expect(reads).toBeGreaterThanOrEqual(3);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('serialises writes per path: the last one wins and every caller settles', async () => {
    const path = join(dir, 'a.json');
    const w = new AtomicWriter();
    const done = Array.from({ length: 40 }, (_, i) => w.write(path, JSON.stringify({ i })));
    await Promise.all(done);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ i: 39 });
    await w.flush();
  });

  it('tells missing, parsed and corrupt apart', async () => {
    expect(await readJson(join(dir, 'none.json'))).toEqual({ state: 'missing' });
    await writeFile(join(dir, 'empty.json'), '');
    expect(await readJson(join(dir, 'empty.json'))).toMatchObject({ state: 'corrupt', why: 'it is empty' });
    await writeFile(join(dir, 'torn.json'), '{"a": [1, 2');
    expect(await readJson(join(dir, 'torn.json'))).toMatchObject({ state: 'corrupt' });
    await mkdir(join(dir, 'folder.json'));
    expect(await readJson(join(dir, 'folder.json'))).toMatchObject({ state: 'corrupt' });
  });
});

describe('store.json documents', () => {
  const isCounter = (v: unknown): { n: number } => {
    if (typeof v !== 'object' || v === null || typeof (v as { n?: unknown }).n !== 'number') throw new Error('not a counter');
    return v as { n: number };
  };

  it('writes and reads a typed document in a sub-folder', async () => {
    const s = await Store.open(dir);
    const doc = s.json('things/c.json', { parse: isCounter });
    expect(await doc.read()).toBeNull();
    await doc.write({ n: 3 });
    expect(await doc.read()).toEqual({ n: 3 });
    expect(await doc.readDetailed()).toEqual({ state: 'ok', value: { n: 3 } });
    await doc.delete();
    expect(await doc.readDetailed()).toEqual({ state: 'missing' });
  });

  it('sets a document of the wrong shape aside with a notice; the next write starts it fresh', async () => {
    const s = await Store.open(dir);
    await writeFile(join(dir, 'c.json'), JSON.stringify({ n: 'three' }));
    const doc = s.json('c.json', { parse: isCounter, describe: (f, a) => `Counter ${f} set aside as ${a}.` });
    const r = await doc.readDetailed();
    expect(r).toMatchObject({ state: 'set-aside', why: expect.stringMatching(/wrong shape \(not a counter\)/) });
    expect(s.notices().map((n) => n.message)).toEqual([expect.stringMatching(/^Counter c\.json set aside as c\.json\.corrupt-/)]);
    const names = await readdir(dir);
    expect(names.filter((n) => n.startsWith('c.json.corrupt-'))).toHaveLength(1);
    expect(names).not.toContain('c.json');
    await doc.write({ n: 1 });
    expect(await doc.read()).toEqual({ n: 1 });
  });

  it('two files set aside in the same instant keep separate copies', async () => {
    const s = await Store.open(dir);
    const doc = s.json('c.json', { parse: isCounter });
    await writeFile(join(dir, 'c.json'), 'one');
    await writeFile(join(dir, 'c.json.corrupt-x'), ''); // unrelated older copy stays
    await doc.read();
    await writeFile(join(dir, 'c.json'), 'two');
    await doc.read();
    const copies = (await readdir(dir)).filter((n) => n.startsWith('c.json.corrupt-') && n !== 'c.json.corrupt-x');
    expect(copies).toHaveLength(2);
    const texts = await Promise.all(copies.map((n) => readFile(join(dir, n), 'utf8')));
    expect(texts.sort()).toEqual(['one', 'two']);
  });

  it('refuses paths that could leave the data folder or hit temp files', async () => {
    const s = await Store.open(dir);
    for (const bad of ['../x.json', 'a/../../x.json', '/etc/passwd', '.hidden.json', 'a//b.json', '']) {
      expect(() => s.json(bad, { parse: isCounter })).toThrow(/Invalid store path/);
    }
  });
});
