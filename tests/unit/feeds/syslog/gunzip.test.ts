import { gzipSync } from 'node:zlib';
import { MAX_HELD_OUTPUT_BYTES, gunzip, type GunzipStats } from '../../../../module/feeds/syslog/gunzip';

async function* chunksOf(bytes: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe('gunzip', () => {
  it('holds a bounded output of data that inflates a thousand times, and gives all of it', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x61), { level: 9 });
    const stats: GunzipStats = { peakHeldBytes: 0 };
    let bytes = 0;
    for await (const chunk of gunzip(chunksOf(bomb), stats)) {
      bytes += chunk.length;
      if (chunk.some((byte) => byte !== 0x61)) throw new Error('wrong output');
    }
    expect(bytes).toBe(64 * 1024 * 1024);
    // zlib stops within its output chunk (16 KiB) once paused.
    expect(stats.peakHeldBytes).toBeLessThanOrEqual(MAX_HELD_OUTPUT_BYTES + 64 * 1024);
  });

  it('yields the output before a corruption, then throws zlib’s error', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join('');
    // The corruption in a write of its own: zlib drops the output of the write that finds it.
    async function* input(): AsyncGenerator<Buffer> {
      yield* chunksOf(gzipSync(text), 1000);
      yield Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff]);
    }
    const out: Buffer[] = [];
    const read = async (): Promise<void> => {
      for await (const chunk of gunzip(input())) out.push(chunk);
    };
    await expect(read()).rejects.toThrow();
    expect(Buffer.concat(out).toString()).toBe(text);
  });
});
