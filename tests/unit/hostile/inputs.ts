/**
 * The hostile documents of the corpus, made at test time: the large ones are lazy generators that
 * count what they produced, so a test can show that the reader stopped long before the end.
 */

const PIECE = 'x'.repeat(64 * 1024);

/** A generator of string pieces with a count of the bytes it had to produce. */
export interface CountingSource {
  (): Generator<string>;
  produced: number;
}

function counting(parts: () => Generator<string>): CountingSource {
  const source = function* (): Generator<string> {
    for (const part of parts()) {
      source.produced += Buffer.byteLength(part);
      yield part;
    }
  } as CountingSource;
  source.produced = 0;
  return source;
}

/** One session whose jump_group `type` attribute is `bytes` long. */
export function hugeAttribute(lsid: string, bytes: number): CountingSource {
  return counting(function* () {
    yield `<session_list><session lsid="${lsid}"><jump_group type="`;
    for (let sent = 0; sent < bytes; sent += PIECE.length) yield PIECE;
    yield `">g</jump_group></session></session_list>`;
  });
}

/** One session holding `levels` nested elements. */
export function deepNesting(lsid: string, levels: number): CountingSource {
  const step = 10_000;
  return counting(function* () {
    yield `<session_list><session lsid="${lsid}">`;
    for (let done = 0; done < levels; done += step) yield '<a>'.repeat(Math.min(step, levels - done));
    for (let done = 0; done < levels; done += step) yield '</a>'.repeat(Math.min(step, levels - done));
    yield '</session></session_list>';
  });
}

/** Nine levels of ten: a billion `lol`s, 3 GB once expanded. */
export function billionLaughs(lsid: string): string {
  const entities = ['<!ENTITY lol0 "lol">'];
  for (let level = 1; level <= 9; level++) {
    entities.push(`<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`);
  }
  return `<?xml version="1.0"?>
<!DOCTYPE session_list [
 ${entities.join('\n ')}
]>
<session_list><session lsid="${lsid}"><jump_group>&lol9;</jump_group>
<session_details><event timestamp="1" event_type="Chat Message"><body>&lol9;</body></event></session_details>
</session></session_list>`;
}

/** A SYSTEM entity pointing at a local file, used where a value would be read. */
export function externalEntity(lsid: string, file: string): string {
  return `<?xml version="1.0"?>
<!DOCTYPE session_list [<!ENTITY xxe SYSTEM "file://${file}">]>
<session_list><session lsid="${lsid}"><jump_group>&xxe;</jump_group>
<session_details><event timestamp="1" event_type="Chat Message"><body>&xxe;</body></event></session_details>
</session></session_list>`;
}

/**
 * `session`, ended as the tenant lists it, with one chat event whose text is `body`: raw bytes,
 * valid UTF-8 or not.
 */
export function sessionWithBytes(
  session: { lsid: string; startTime: number; endTime: number | null },
  body: Uint8Array,
): Buffer {
  const { lsid, startTime, endTime } = session;
  return Buffer.concat([
    Buffer.from(
      `<session_list><session lsid="${lsid}"><start_time timestamp="${startTime}"/>` +
        `<end_time timestamp="${endTime ?? ''}"/>` +
        `<session_details><event timestamp="${startTime}" event_type="Chat Message"><body>`,
    ),
    body,
    Buffer.from('</body></event></session_details></session></session_list>'),
  ]);
}

/** One session, the document cut in the middle of its first event. */
export function truncated(lsid: string): string {
  return `<session_list><session lsid="${lsid}"><session_details><event timestamp="1" event_type="Chat Message"><body>cut he`;
}
