import type { ReportEvent } from '../../../../../module/feeds/sessions/events';
import { parseAccessSessionReport } from '../../../../../module/feeds/sessions/report-parser';
import { events, items, report, session, stream } from '../../../../support/parsing';

const details = (eventsXml: string): string => `<session_details>${eventsXml}</session_details>`;

describe('values', () => {
  it('decodes entities and character references and includes CDATA, without trimming', async () => {
    const [event] = await events(
      session(
        details(
          `<event timestamp="1" event_type="Chat Message"><performed_by type="customer" gsnumber="2">  R&amp;D &#x263A; &#233;quipe </performed_by>` +
            `<body>a &lt;b&gt; &quot;c&quot; &apos;d&apos; <![CDATA[<raw> & ]]>tail</body>` +
            `<data><value name="q" value="x &amp; &lt;y&gt; &#10;z" /></data></event>`,
        ),
      ),
    );
    expect(event.performed_by).toStrictEqual({ type: 'customer', name: '  R&D ☺ équipe ', gsnumber: '2' });
    expect(event.body).toBe(`a <b> "c" 'd' <raw> & tail`);
    expect(event.data).toStrictEqual({ q: 'x & <y> \nz' });
  });

  it('keeps non-ASCII text and numbers as strings', async () => {
    const [event] = await events(
      session(
        `<jump_group type="shared">Équipe 東京 🚀</jump_group><file_transfer_count>007</file_transfer_count>` +
          details(
            `<event timestamp="0001733239565" event_type="Chat Message"><body>Привет 👋</body></event>`,
          ),
      ),
    );
    expect(event).toStrictEqual({
      timestamp: '0001733239565',
      event_type: 'Chat Message',
      body: 'Привет 👋',
      session_id: 'abc123',
      jump_group: { name: 'Équipe 東京 🚀', type: 'shared' },
      file_transfer_count: '007',
    });
  });

  it('takes the body from encoded_body (base64 of UTF-8), control characters included', async () => {
    const text = 'héllo \u0007 wörld 🚀';
    const encoded = Buffer.from(text, 'utf8').toString('base64');
    const wrapped = `${encoded.slice(0, 10)}\n${encoded.slice(10)}`; // RFC 2045 line breaks
    const [withBoth, onlyEncoded, emptyEncoded] = await events(
      session(
        details(
          `<event timestamp="1" event_type="Chat Message"><body>h?llo ? w?rld</body><encoded_body>${encoded}</encoded_body></event>` +
            `<event timestamp="2" event_type="Chat Message"><encoded_body>${wrapped}</encoded_body></event>` +
            `<event timestamp="3" event_type="Chat Message"><body>plain</body><encoded_body></encoded_body></event>`,
        ),
      ),
    );
    expect(withBoth.body).toBe(text);
    expect(onlyEncoded.body).toBe(text);
    expect(emptyEncoded.body).toBe('plain');
    expect(JSON.stringify(withBoth)).toContain('"body":"héllo \\u0007 wörld 🚀"');
  });

  it('drops participant fields that are empty or "Unknown", and merges the rest by gsnumber', async () => {
    const [byRep, byOther, bySystem] = await events(
      session(
        `<rep_list><representative gsnumber="5"><private_ip>Unknown</private_ip><public_ip></public_ip>` +
          `<hostname>unknown</hostname><os>Unknown</os></representative>` +
          `<representative gsnumber="6"><os>Unknown</os><private_ip>Unknown</private_ip></representative></rep_list>` +
          `<primary_rep gsnumber="6">Bob</primary_rep>` +
          details(
            `<event timestamp="1" event_type="X"><performed_by type="representative" gsnumber="5">Al</performed_by></event>` +
              `<event timestamp="2" event_type="X"><performed_by type="representative" gsnumber="6">Bob</performed_by></event>` +
              `<event timestamp="3" event_type="X"><performed_by type="system" gsnumber="0">PRA</performed_by></event>`,
          ),
      ),
    );
    // Only the exact word "Unknown" means "not collected".
    expect(byRep.performed_by).toStrictEqual({
      type: 'representative',
      name: 'Al',
      gsnumber: '5',
      hostname: 'unknown',
    });
    expect(byOther.performed_by).toStrictEqual({ type: 'representative', name: 'Bob', gsnumber: '6' });
    expect(byOther.primary_rep).toStrictEqual({ name: 'Bob', gsnumber: '6' });
    expect(bySystem.performed_by).toStrictEqual({ type: 'system', name: 'PRA', gsnumber: '0' });
  });

  it('leaves out keys and objects whose source is missing or empty, never null', async () => {
    const parsed = await events(
      session(
        `<jump_group type="" id="1"></jump_group><primary_customer gsnumber=""></primary_customer>` +
          `<primary_rep/><file_transfer_count></file_transfer_count>` +
          details(
            `<event timestamp="" event_type="Session Start"><performed_by type="" gsnumber=""></performed_by>` +
              `<destination/><body></body><data></data></event>` +
              `<event/>` +
              `<event timestamp="5" event_type="X"><performed_by type="system">PRA</performed_by><destination gsnumber="0"/></event>`,
          ),
      ),
    );
    expect(parsed).toStrictEqual([
      { event_type: 'Session Start', session_id: 'abc123' },
      { session_id: 'abc123' },
      {
        timestamp: '5',
        event_type: 'X',
        performed_by: { type: 'system', name: 'PRA' },
        destination: { gsnumber: '0' },
        session_id: 'abc123',
      },
    ]);
    expect(JSON.stringify(parsed)).not.toContain('null');
  });

  it('handles a session without jump_group, participants, or events', async () => {
    const parsed = await items(
      report(
        `<session lsid="s1"><session_details/></session>` +
          `<session lsid="s2"><session_details>\n  </session_details></session>` +
          `<session lsid="s3"><session_details><event timestamp="9" event_type="Session Start"/></session_details></session>`,
      ),
    );
    expect(parsed).toStrictEqual([
      { kind: 'session', lsid: 's1', startTime: null, endTime: null, eventCount: 0 },
      { kind: 'session', lsid: 's2', startTime: null, endTime: null, eventCount: 0 },
      {
        kind: 'event',
        lsid: 's3',
        index: 0,
        event: { timestamp: '9', event_type: 'Session Start', session_id: 's3' },
      },
      { kind: 'session', lsid: 's3', startTime: null, endTime: null, eventCount: 1 },
    ]);
  });

  it('keeps empty data values, keeps the last of a repeated name, and skips nameless values', async () => {
    const [event] = await events(
      session(
        details(
          `<event timestamp="1" event_type="X"><data><value name="a" value="" /><value name="b" value="1" />` +
            `<value name="b" value="2" /><value name="" value="lost" /><value value="lost" /><value name="c" />` +
            `<value name="__proto__" value="p" /></data></event>`,
        ),
      ),
    );
    expect(event.data).toStrictEqual({ a: '', b: '2', c: '', ['__proto__']: 'p' });
    expect(Object.getPrototypeOf(event.data)).toBe(Object.prototype);
    expect(JSON.stringify(event.data)).toBe('{"a":"","b":"2","c":"","__proto__":"p"}');
  });

  it('keeps the exact text of a leaf but not the indentation around child elements', async () => {
    const [event] = await events(
      session(
        `<jump_group type="shared">\n  <ignored>x</ignored>\n</jump_group>` +
          details(
            `\n  <event timestamp="1" event_type="Chat Message">\n    <body>  two\n lines  </body>\n` +
              `    <performed_by type="system">\n  PRA<sub/>\n</performed_by>\n  </event>\n`,
          ),
      ),
    );
    expect(event.body).toBe('  two\n lines  ');
    // The jump group's only text is layout; performed_by has real text around a child element.
    expect(event.jump_group).toStrictEqual({ type: 'shared' });
    expect(event.performed_by).toStrictEqual({ type: 'system', name: '\n  PRA\n' });
  });

  it('ignores unknown elements anywhere, including ones named like known ones', async () => {
    const [event] = await events(
      session(
        `<custom_attributes><custom_attribute code_name="x">y</custom_attribute></custom_attributes>` +
          `<unknown><jump_group type="bad">bad</jump_group><session_details><event timestamp="0"/></session_details></unknown>` +
          details(
            `<event timestamp="1" event_type="X"><files><file><filename>a</filename></file></files>` +
              `<extra><body>not the body</body><data><value name="bad" value="bad"/></data></extra>` +
              `<system_information><category name="c"><data><row><field name="f">v</field></row></data></category></system_information></event>`,
          ),
      ),
    );
    expect(event).toStrictEqual({ timestamp: '1', event_type: 'X', session_id: 'abc123' });
  });
});

describe('sessions', () => {
  it('reports an open session (empty end_time) with endTime null', async () => {
    const parsed = await items(
      report(
        `<session lsid="open"><start_time timestamp="1733239565">2024-12-03T15:26:05+00:00</start_time>` +
          `<end_time timestamp=""></end_time>${details('<event timestamp="1733239565" event_type="Session Start"/>')}</session>` +
          `<session lsid="odd"><start_time timestamp="soon"/>${details('')}</session>`,
      ),
    );
    expect(parsed.filter((item) => item.kind === 'session')).toStrictEqual([
      { kind: 'session', lsid: 'open', startTime: 1733239565, endTime: null, eventCount: 1 },
      { kind: 'session', lsid: 'odd', startTime: null, endTime: null, eventCount: 0 },
    ]);
  });

  it('gives session-level fields that come after session_details to every event', async () => {
    const xml = session(
      details(
        '<event timestamp="1" event_type="A"><performed_by type="customer" gsnumber="2">h</performed_by></event>' +
          '<event timestamp="2" event_type="B"/>',
      ) +
        `<jump_group type="shared">G</jump_group><primary_customer gsnumber="2">h</primary_customer>` +
        `<customer_list><customer gsnumber="2"><private_ip>10.0.0.1</private_ip></customer></customer_list>` +
        `<file_delete_count>3</file_delete_count>`,
    );
    const parsed = await events(xml);
    expect(parsed).toHaveLength(2);
    for (const event of parsed) {
      expect(event.jump_group).toStrictEqual({ name: 'G', type: 'shared' });
      expect(event.primary_customer).toStrictEqual({ name: 'h', gsnumber: '2', private_ip: '10.0.0.1' });
      expect(event.file_delete_count).toBe('3');
    }
    expect(parsed[0].performed_by).toStrictEqual({
      type: 'customer',
      name: 'h',
      gsnumber: '2',
      private_ip: '10.0.0.1',
    });
  });

  it('past maxBufferedEvents, emits events with what is known instead of holding them', async () => {
    const xml = session(
      details(Array.from({ length: 5 }, (_, i) => `<event timestamp="${i}" event_type="E"/>`).join('')) +
        `<jump_group type="shared">late</jump_group>`,
    );
    const parsed = (await items(xml, { maxBufferedEvents: 2 })).filter(
      (item): item is ReportEvent => item.kind === 'event',
    );
    expect(parsed.map((item) => [item.index, item.event.jump_group])).toStrictEqual([
      [0, undefined],
      [1, undefined],
      [2, undefined],
      [3, undefined],
      [4, undefined],
    ]);
    // With room to buffer, the same report gets the late field everywhere.
    const buffered = await events(xml, { maxBufferedEvents: 5 });
    expect(buffered.every((event) => event.jump_group?.name === 'late')).toBe(true);
  });

  it('yields events before the end of the session once the buffer overflowed', async () => {
    const head = session(details(Array.from({ length: 4 }, (_, i) => `<event timestamp="${i}"/>`).join('')));
    // Cut the document right after the events: no </session>, so only streaming can yield them.
    const cut = head.slice(0, head.indexOf('</session_details>'));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const item of parseAccessSessionReport(stream(cut), { maxBufferedEvents: 1 })) {
          if (item.kind === 'event') seen.push(item.index);
        }
      })(),
    ).rejects.toThrow(/unexpected end of document/);
    expect(seen).toStrictEqual([0, 1, 2, 3]);
  });

  it('rejects a negative or fractional maxBufferedEvents', () => {
    expect(() => parseAccessSessionReport(stream(), { maxBufferedEvents: -1 })).toThrow(RangeError);
    expect(() => parseAccessSessionReport(stream(), { maxBufferedEvents: 1.5 })).toThrow(RangeError);
  });

  it('shares frozen session-level objects between the events of a session', async () => {
    const [a, b] = await events(
      session(`<jump_group type="shared">G</jump_group>${details('<event/><event/>')}`),
    );
    expect(a.jump_group).toBe(b.jump_group);
    expect(Object.isFrozen(a.jump_group)).toBe(true);
  });
});
