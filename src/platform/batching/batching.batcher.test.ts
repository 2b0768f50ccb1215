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
