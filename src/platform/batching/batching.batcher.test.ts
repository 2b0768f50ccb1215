import { describe, expect, it } from 'vitest';
import { Batcher } from './batching.batcher.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Batcher', () => {
  it('runs a lone call at once, and gathers the calls that arrive while it runs into the next batch', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>(async (items) => {
      batches.push(items);
      await tick();
      return items.map((i) => i * 10);
    }, { maxBatch: 3, concurrency: 1 });
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => b.run(i)));
    expect(results).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('rejects only the items answered with an Error, and every item of a batch that throws', async () => {
    const b = new Batcher<number, number>(async (items) => {
      if (items.includes(99)) throw new Error('batch broke');
      return items.map((i) => (i < 0 ? new Error(`bad ${i}`) : i));
    }, { maxBatch: 10, concurrency: 2 });
    const settled = await Promise.allSettled([b.run(1), b.run(-2), b.run(3)]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([1, 'bad -2', 3]);
    await expect(b.run(99)).rejects.toThrow('batch broke');
    await expect(b.run(4)).resolves.toBe(4);
  });

  it('keeps at most `concurrency` batches in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const b = new Batcher<number, number>(async (items) => {
      most = Math.max(most, ++inFlight);
      await tick();
      inFlight--;
      return items;
    }, { maxBatch: 1, concurrency: 2 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => b.run(i)));
    expect(most).toBe(2);
  });
});

describe('Batcher with keys', () => {
  it('never runs two batches holding one key; a held key waits, in order, and its calls share the next batch', async () => {
    const batches: string[][] = [];
    const gates: Array<() => void> = [];
    const b = new Batcher<string, string>(async (items) => {
      batches.push(items);
      await new Promise<void>((r) => gates.push(r));
      return items;
    }, { maxBatch: 10, concurrency: 3, keysOf: (item) => [item.split(':')[0]] });
    const done = ['a:1', 'b:1'].map((i) => b.run(i));
    await tick();
    // a and b are held by the two running batches: only c may start now, and a:2 waits even though a slot is free
    done.push(...['a:2', 'c:1', 'a:3', 'b:2'].map((i) => b.run(i)));
    await tick();
    expect(batches).toEqual([['a:1'], ['b:1'], ['c:1']]);
    gates.shift()!();
    await tick();
    // a's calls, in order, run together as soon as a is free
    expect(batches[3]).toEqual(['a:2', 'a:3']);
    while (gates.length) {
      gates.shift()!();
      await tick();
    }
    expect(await Promise.all(done)).toEqual(['a:1', 'b:1', 'a:2', 'c:1', 'a:3', 'b:2']);
    expect(batches.slice(4)).toEqual([['b:2']]);
  });

  it('keeps a key\'s order when a call holding several keys has to wait', async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const b = new Batcher<string, string>(async (items) => {
      batches.push(items);
      if (items.includes('x')) await new Promise<void>((r) => (release = r));
      return items;
    }, { maxBatch: 10, concurrency: 2, keysOf: (item) => (item === 'x' ? ['k1'] : item === 'xy' ? ['k1', 'k2'] : ['k2']) });
    const first = b.run('x');
    await tick();
    const rest = [b.run('xy'), b.run('y')];
    await tick();
    // 'y' (k2) must not overtake 'xy' (k1 and k2), which waits for 'x' to let k1 go
    expect(batches).toEqual([['x']]);
    release();
    await Promise.all([first, ...rest]);
    expect(batches.slice(1)).toEqual([['xy', 'y']]);
  });
});
