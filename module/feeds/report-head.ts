/** The first bytes of a report reply, which say what it is before the rest is read. */

/** A ZIP starts with a local file header, or, empty, with the end of its central directory. */
const ZIP_SIGNATURES = [Buffer.from('PK\u0003\u0004', 'latin1'), Buffer.from('PK\u0005\u0006', 'latin1')];

/** Bytes a ZIP signature takes: enough of a head to recognise one. */
export const ZIP_SIGNATURE_BYTES = 4;

export function isZipHead(head: Buffer): boolean {
  return ZIP_SIGNATURES.some((signature) => head.subarray(0, signature.length).equals(signature));
}

/**
 * The first `bytes` of `input` (fewer if it ends first), whatever its chunking, and all of it,
 * those bytes included: what was read to look at the head is not lost to the reader after.
 */
export async function peek(
  input: AsyncIterable<Uint8Array>,
  bytes: number,
): Promise<{ head: Buffer; whole: AsyncIterable<Buffer> }> {
  const iterator = input[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < bytes && !ended) {
    const next = await iterator.next();
    if (next.done) ended = true;
    else {
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      taken.push(chunk);
      size += chunk.length;
    }
  }
  async function* whole(): AsyncGenerator<Buffer> {
    yield* taken;
    if (ended) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    }
  }
  return { head: Buffer.concat(taken).subarray(0, bytes), whole: whole() };
}
