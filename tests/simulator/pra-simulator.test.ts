import { NO_DATA_BODY, manualClock, renderEvent, type PraSimulator } from '../../simulator/pra';
import { basic, closeSimulators, NOW, report, start, token, tokenResponse } from './pra-http';

const SRA = 'http://www.beyondtrust.com/sra/namespaces/API/reporting';

afterEach(closeSimulators);

function lsidsIn(xml: string): string[] {
  return [...xml.matchAll(/<(?:\w+:)?session(?:_summary)? lsid="([^"]+)"/g)].map((m) => m[1]);
}

describe('PRA simulator: OAuth', () => {
  it('issues bearer tokens to the right client and rejects others', async () => {
    const sim = await start({ tokenExpiresIn: 1799 });
    const ok = await tokenResponse(sim);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, unknown>;
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 1799 });

    const wrong = await tokenResponse(sim, basic('sim-client', 'nope'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid_client' });
    expect((await tokenResponse(sim, '')).status).toBe(401);

    const grant = await tokenResponse(sim, basic(), 'password');
    expect(grant.status).toBe(400);
    expect(await grant.json()).toEqual({ error: 'unsupported_grant_type' });

    expect(sim.tokensIssued).toBe(1);
    expect(sim.requests.map((r) => r.status)).toEqual([200, 401, 401, 400]);
    expect(sim.requests[0].headers.connection).toBe('close');
    expect(sim.requests[0].params).toEqual({ grant_type: 'client_credentials' });
  });

  it('keeps 30 valid tokens: the 31st evicts the oldest', async () => {
    const sim = await start();
    const tokens: string[] = [];
    for (let i = 0; i < 31; i++) tokens.push(await token(sim));
    const params = { generate_report: 'AccessSessionListing', end_time: '0', duration: '0' };
    expect((await report(sim, tokens[0], params)).status).toBe(401);
    expect((await report(sim, tokens[1], params)).status).toBe(200);
    expect((await report(sim, tokens[30], params)).status).toBe(200);
  });

  it('rejects expired, evicted and unknown tokens with 401', async () => {
    const clock = manualClock(NOW);
    const sim = await start({ tokenExpiresIn: 1, now: clock.now });
    const params = { generate_report: 'AccessSessionListing', end_time: '0', duration: '0' };
    const first = await token(sim);
    expect((await report(sim, first, params)).status).toBe(200);
    clock.advance(1);
    expect((await report(sim, first, params)).status).toBe(401);

    const second = await token(sim);
    sim.evictTokens();
    expect((await report(sim, second, params)).status).toBe(401);
    expect((await report(sim, 'made-up', params)).status).toBe(401);
  });
});

describe('PRA simulator: reports', () => {
  let sim: PraSimulator;
  let bearer: string;

  beforeEach(async () => {
    sim = await start();
    bearer = await token(sim);
  });

  const closed = (): string[] => sim.sessions.filter((s) => s.endTime !== null).map((s) => s.lsid);
  const running = (): string[] => sim.sessions.filter((s) => s.endTime === null).map((s) => s.lsid);

  it('lists closed sessions only by end_time, and open ones too by start_time', async () => {
    expect(closed()).toHaveLength(5);
    expect(running()).toHaveLength(2);

    const byEnd = await report(sim, bearer, {
      generate_report: 'AccessSessionListing',
      end_time: '0',
      duration: '0',
    });
    expect(byEnd.status).toBe(200);
    expect(byEnd.headers.get('content-type')).toBe('text/xml; charset=UTF-8');
    expect(byEnd.text).toContain(`<session_summary_list xmlns="${SRA}">`);
    expect(byEnd.text).toMatch(/<session_summary lsid="[^"]+" has_recording="[01]" \/>/);
    expect(lsidsIn(byEnd.text).sort()).toEqual(closed().sort());

    const byStart = await report(sim, bearer, {
      generate_report: 'AccessSessionListing',
      start_time: '0',
      duration: '0',
    });
    expect(lsidsIn(byStart.text).sort()).toEqual(sim.sessions.map((s) => s.lsid).sort());
    expect(sim.requests.at(-1)?.returned?.sort()).toEqual(sim.sessions.map((s) => s.lsid).sort());
  });

  it('applies end_time inclusively and bounds the window with duration', async () => {
    const ends = sim.sessions.flatMap((s) => (s.endTime === null ? [] : [s.endTime])).sort((a, b) => a - b);
    const last = ends.at(-1) as number;
    const atLast = await report(sim, bearer, {
      generate_report: 'AccessSessionListing',
      end_time: String(last),
    });
    // The last two closed sessions share their end second (the inclusive-cursor trap).
    expect(lsidsIn(atLast.text)).toHaveLength(2);

    const first = await report(sim, bearer, {
      generate_report: 'AccessSessionListing',
      end_time: String(ends[0]),
      duration: String(ends[1] - ends[0] - 1),
    });
    expect(lsidsIn(first.text)).toEqual([sim.sessions.find((s) => s.endTime === ends[0])?.lsid]);
  });

  it('returns the selected lsids in detail, silently dropping unknown ones', async () => {
    const [a, b] = closed();
    const res = await report(sim, bearer, { generate_report: 'AccessSession', lsids: `${b},nope,${a}` });
    expect(res.status).toBe(200);
    expect(res.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<session_list')).toBe(true);
    expect(lsidsIn(res.text)).toEqual([a, b]);
    expect(res.text).toBe(sim.renderAccessSession([a, b]));
    expect(sim.requests.at(-1)?.lsids).toEqual([b, 'nope', a]);

    const one = await report(sim, bearer, { generate_report: 'AccessSession', lsid: a });
    expect(lsidsIn(one.text)).toEqual([a]);
  });

  it('renders open sessions with an empty end_time', async () => {
    const [lsid] = running();
    const xml = (await report(sim, bearer, { generate_report: 'AccessSession', lsid: lsid as string })).text;
    expect(xml).toContain('<end_time />');
    expect(xml).not.toContain('session_chat_view_url');
    expect(xml).toContain('<event timestamp=');
  });

  it('answers an empty result with the exact no-data error body', async () => {
    const future = String(NOW + 10);
    for (const generate_report of ['AccessSession', 'AccessSessionListing']) {
      const res = await report(sim, bearer, { generate_report, end_time: future, duration: '0' });
      expect(res.status).toBe(200);
      expect(res.text).toBe(
        '<?xml version="1.0" encoding="UTF-8"?>\n<error >No Support report information matching your chosen criteria is available.</error>',
      );
    }
    expect((await report(sim, bearer, { generate_report: 'AccessSession', lsid: 'nope' })).text).toBe(
      NO_DATA_BODY,
    );
  });

  it('answers bad parameters with HTTP 200 and an <error> element', async () => {
    const bad: Array<Record<string, string>> = [
      {},
      { generate_report: 'Bogus' },
      { generate_report: 'AccessSessionListing' },
      { generate_report: 'AccessSession', start_time: '2025-01-01T00:00:00Z' },
      { generate_report: 'AccessSessionListing', end_time: '0', lsid: 'x' },
    ];
    for (const params of bad) {
      const res = await report(sim, bearer, params);
      expect(res.status).toBe(200);
      expect(res.text).toMatch(new RegExp(`<error xmlns="${SRA}">[^<]+</error>$`));
    }
  });

  it('switches namespace and prefix', async () => {
    const params = { generate_report: 'AccessSessionListing', start_time: '0' };
    sim.setNamespace('docs', 'ns');
    const prefixed = await report(sim, bearer, params);
    expect(prefixed.text).toContain(
      '<ns:session_summary_list xmlns:ns="https://www.beyondtrust.com/namespaces/API/reporting">',
    );
    expect(lsidsIn(prefixed.text)).toHaveLength(7);

    sim.setNamespace('bomgar');
    expect((await report(sim, bearer, params)).text).toContain(
      '<session_summary_list xmlns="http://www.bomgar.com/namespaces/API/reporting">',
    );
    sim.setNamespace('none');
    expect((await report(sim, bearer, params)).text).toContain('<session_summary_list>');
  });

  it('shows events grown on an open session in the next AccessSession', async () => {
    const [lsid] = running();
    const before = lsidCount(await report(sim, bearer, { generate_report: 'AccessSession', lsid }));
    const added = sim.growSession(lsid, 3);
    expect(added).toHaveLength(3);
    const after = lsidCount(await report(sim, bearer, { generate_report: 'AccessSession', lsid }));
    expect(after).toBe(before + 3);
    expect(added.every((e) => e.timestamp <= NOW)).toBe(true);

    sim.endSession(lsid);
    const ended = await report(sim, bearer, {
      generate_report: 'AccessSessionListing',
      end_time: String(NOW),
    });
    expect(lsidsIn(ended.text)).toEqual([lsid]);
    expect(() => sim.growSession(lsid, 1)).toThrow(/already ended/);
  });

  function lsidCount(res: { text: string }): number {
    return (res.text.match(/<event /g) ?? []).length;
  }
});

describe('PRA simulator: visibility over time', () => {
  it('hides sessions before they start and events and ends not yet reached', async () => {
    const clock = manualClock(NOW);
    const sim = await start({ now: clock.now, closedSessions: 0, openSessions: 0 });
    const bearer = await token(sim);
    const later = sim.addSession({ startTime: NOW + 100, events: 4 });
    const params = { generate_report: 'AccessSession', start_time: '0' };
    expect((await report(sim, bearer, params)).text).toBe(NO_DATA_BODY);

    clock.set(later.events[1].timestamp);
    const partial = await report(sim, bearer, params);
    expect(lsidsIn(partial.text)).toEqual([later.lsid]);
    expect((partial.text.match(/<event /g) ?? []).length).toBe(
      later.events.filter((e) => e.timestamp <= clock.now()).length,
    );
  });
});

describe('PRA simulator: large reports', () => {
  it('streams a large report byte-identical to renderAccessSession', async () => {
    const sim = await start({
      closedSessions: 1,
      openSessions: 0,
      eventsPerSession: 20_000,
      historySeconds: 86_400,
    });
    const bearer = await token(sim);
    const res = await report(sim, bearer, { generate_report: 'AccessSession', end_time: '0' });
    expect((res.text.match(/<event /g) ?? []).length).toBe(20_000);
    expect(res.text).toBe(sim.renderAccessSession([sim.sessions[0].lsid]));
  });
});

describe('PRA simulator: faults', () => {
  let sim: PraSimulator;
  let bearer: string;
  const listing = { generate_report: 'AccessSessionListing', start_time: '0' };

  beforeEach(async () => {
    sim = await start();
    bearer = await token(sim);
  });

  it('answers queued status faults in order, then recovers', async () => {
    sim.injectFault({ kind: 'status', status: 429, retryAfter: 7, count: 1, target: 'reporting' });
    sim.injectFault({ kind: 'status', status: 500, count: 1 });
    const throttled = await report(sim, bearer, listing);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect((await report(sim, bearer, listing)).status).toBe(500);
    expect((await report(sim, bearer, listing)).status).toBe(200);
    expect(sim.requests.slice(-3).map((r) => [r.status, r.fault])).toEqual([
      [429, 'status'],
      [500, 'status'],
      [200, undefined],
    ]);
  });

  it('targets faults at the token endpoint only when asked', async () => {
    sim.injectFault({ kind: 'status', status: 503, count: 1, target: 'token' });
    expect((await report(sim, bearer, listing)).status).toBe(200);
    expect((await tokenResponse(sim)).status).toBe(503);
    expect((await tokenResponse(sim)).status).toBe(200);
  });

  it('resets the connection before any byte or in mid-body', async () => {
    sim.injectFault({ kind: 'reset', count: 1 });
    await expect(report(sim, bearer, listing)).rejects.toThrow();
    sim.injectFault({ kind: 'reset', count: 1, afterBytes: 20 });
    await expect(report(sim, bearer, listing, 'keep-alive')).rejects.toThrow();
    await sim.waitFor(() => sim.requests.length === 3);
    expect(sim.requests.slice(1).map((r) => [r.status, r.fault])).toEqual([
      [0, 'reset'],
      [200, 'reset'],
    ]);
    expect((await report(sim, bearer, listing)).status).toBe(200);
  });

  it('serves a truncated body with status 200 for malformed', async () => {
    sim.injectFault({ kind: 'malformed', count: 1 });
    const res = await report(sim, bearer, listing);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('</session_summary_list>');
    expect(res.text.length).toBeGreaterThan(10);
  });

  it('delays replies for slow faults', async () => {
    sim.injectFault({ kind: 'slow', delayMs: 50, count: 1 });
    const started = Date.now();
    expect((await report(sim, bearer, listing)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('fails every AccessSession request touching a failed session until healed', async () => {
    const [a, b] = sim.sessions.map((s) => s.lsid);
    sim.failSession(b);
    expect((await report(sim, bearer, { generate_report: 'AccessSession', lsid: a })).status).toBe(200);
    expect((await report(sim, bearer, { generate_report: 'AccessSession', lsids: `${a},${b}` })).status).toBe(
      500,
    );
    expect((await report(sim, bearer, { generate_report: 'AccessSession', start_time: '0' })).status).toBe(
      500,
    );
    expect(sim.requests.at(-1)?.fault).toBe('failSession');
    // Listings carry no session content, so they still work.
    expect((await report(sim, bearer, listing)).status).toBe(200);

    sim.failSession(b, 'malformed');
    const broken = await report(sim, bearer, { generate_report: 'AccessSession', lsids: `${a},${b}` });
    expect(broken.status).toBe(200);
    expect(broken.text).toContain(`<session lsid="${a}">`);
    expect(broken.text).not.toContain('</session_list>');

    sim.failSession(b, 'reset');
    await expect(
      report(sim, bearer, { generate_report: 'AccessSession', lsid: b }, 'keep-alive'),
    ).rejects.toThrow();
  });

  it('serves any body, status and content type, bytes and lazy generators included', async () => {
    sim.injectFault({ kind: 'body', body: '<html>login</html>', contentType: 'text/html', count: 1 });
    const html = await report(sim, bearer, listing);
    expect([html.status, html.headers.get('content-type'), html.text]).toEqual([
      200,
      'text/html',
      '<html>login</html>',
    ]);
    let made = 0;
    sim.injectFault({
      kind: 'body',
      status: 503,
      body: function* () {
        made++;
        yield '<a>';
        yield Uint8Array.from([0xff]);
      },
      count: 2,
    });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${sim.url}/api/reporting`, { headers: { Connection: 'close' } });
      expect(res.status).toBe(503);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0x3c, 0x61, 0x3e, 0xff]));
    }
    expect(made).toBe(2);
    expect(sim.requests.slice(-3).map((r) => r.fault)).toEqual(['body', 'body', 'body']);
  });

  it('aims a fault at the AccessSession requests asking for one lsid', async () => {
    const [a, b] = sim.sessions.map((s) => s.lsid);
    sim.injectFault({ kind: 'status', status: 500, count: 2, lsid: b });
    expect((await report(sim, bearer, listing)).status).toBe(200);
    expect((await report(sim, bearer, { generate_report: 'AccessSession', lsid: a })).status).toBe(200);
    expect((await report(sim, bearer, { generate_report: 'AccessSession', lsids: `${a},${b}` })).status).toBe(
      500,
    );
    expect((await report(sim, bearer, { generate_report: 'AccessSession', lsid: b })).status).toBe(500);
    expect((await report(sim, bearer, { generate_report: 'AccessSession', lsid: b })).status).toBe(200);
  });

  it('keeps a hanging reply open after its body until the client leaves', async () => {
    sim.injectFault({ kind: 'body', body: '<session_list>', hang: true, count: 1 });
    const controller = new AbortController();
    const res = await fetch(`${sim.url}/api/reporting`, { signal: controller.signal });
    const reader = res.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe('<session_list>');
    const next = reader.read();
    expect(sim.requests.filter((r) => r.fault === 'body')).toHaveLength(0);
    controller.abort();
    await expect(next).rejects.toThrow();
    await sim.waitFor(() => sim.requests.some((r) => r.fault === 'body'));
  });
});

describe('PRA simulator: token prefix', () => {
  it('starts every access token with tokenPrefix', async () => {
    const sim = await start({ tokenPrefix: 'ACCESS-TOKEN-' });
    const first = await token(sim);
    expect(first).toMatch(/^ACCESS-TOKEN-[\w-]{32}$/);
    expect(
      (await report(sim, first, { generate_report: 'AccessSessionListing', start_time: '0' })).status,
    ).toBe(200);
  });
});

describe('PRA simulator: data', () => {
  it('gives the same data for the same seed and different data for another', async () => {
    const a = await start({ seed: 42 });
    const b = await start({ seed: 42 });
    const c = await start({ seed: 43 });
    const all = (s: PraSimulator): string => s.renderAccessSession(s.sessions.map((x) => x.lsid));
    expect(all(a).replaceAll(a.url, '')).toBe(all(b).replaceAll(b.url, ''));
    expect(a.sessions.map((s) => s.lsid)).not.toEqual(c.sessions.map((s) => s.lsid));
  });

  it('never repeats an event within a session, also after growth', async () => {
    const sim = await start({ closedSessions: 3, openSessions: 2, eventsPerSession: 300 });
    for (const s of sim.sessions.filter((x) => x.endTime === null)) sim.growSession(s.lsid, 500);
    for (const s of sim.sessions) {
      const keys = s.events.map(renderEvent);
      expect(new Set(keys).size).toBe(keys.length);
      expect(s.events.map((e) => e.timestamp)).toEqual(
        [...s.events.map((e) => e.timestamp)].sort((x, y) => x - y),
      );
      expect(s.events[0].eventType).toBe('Session Start');
      if (s.endTime !== null) expect(s.events.at(-1)?.eventType).toBe('Session End');
    }
  });

  it('covers every event type, participants and text traps across the default data set', async () => {
    const sim = await start();
    const types = new Set(sim.sessions.flatMap((s) => s.events.map((e) => e.eventType)));
    for (const type of [
      'Session Start',
      'Session End',
      'Conference Owner Changed',
      'Conference Member Added',
      'Conference Member State Changed',
      'Conference Member Departed',
      'Chat Message',
      'File Download',
      'File Upload',
      'File Deleted',
      'File Transfer Complete',
      'Directory Created',
      'Session Foreground Window Changed',
      'Session Window Closed',
      'Session Mouse Left Clicked',
      'Special Action Executed',
      'Remote Shell Event',
      'Jump Item Authorization Request Utilized',
      'Registry Value Modified',
      'Command Shell Session Started',
      'Credential Injection Attempt',
    ]) {
      expect(types).toContain(type);
    }
    const events = sim.sessions.flatMap((s) => s.events);
    const added = events
      .filter((e) => e.eventType === 'Conference Member Added')
      .map((e) => e.performedBy?.type);
    expect(new Set(added)).toEqual(new Set(['customer', 'representative']));
    expect(events.some((e) => e.encodedBody)).toBe(true);

    const xml = sim.renderAccessSession(sim.sessions.map((s) => s.lsid));
    expect(xml).toContain('<encoded_body>');
    expect(xml).toMatch(/&lt;CHG-\d+&gt;/);
    for (const s of sim.sessions) {
      const gs = [...s.customers, ...s.reps].map((p) => p.gsnumber);
      expect(gs).toContain(s.primaryCustomer?.gsnumber);
      expect(gs).toContain(s.primaryRep?.gsnumber);
    }
  });
});

describe('PRA simulator: control API', () => {
  it('resolves waitFor on requests and rejects on timeout', async () => {
    const sim = await start();
    const seen = sim.waitFor(() => sim.requests.some((r) => r.path === '/oauth2/token'));
    await token(sim);
    await expect(seen).resolves.toBeUndefined();
    await expect(sim.waitFor(() => false, 20)).rejects.toThrow(/20 ms/);
  });

  it('grows open sessions on a timer until stopped', async () => {
    const sim = await start({ now: undefined });
    const open = sim.sessions.filter((s) => s.endTime === null);
    const before = open.map((s) => s.events.length);
    const stop = sim.autoGrow(5, { events: 2 });
    await sim.waitFor(() => open.every((s, i) => s.events.length >= before[i] + 4), 2000);
    stop();
  });

  it('adds sessions with explicit fields and keeps them ordered by start time', async () => {
    const sim = await start();
    const added = sim.addSession({
      lsid: 'oTJW7dXXxYIcWQcQ',
      jumpGroup: { type: 'shared', name: 'A & B', id: '1' },
    });
    expect(added.endTime).toBeNull();
    expect(added.startTime).toBe(NOW);
    expect(added.events[0]).toEqual({ timestamp: NOW, eventType: 'Session Start' });
    expect(sim.sessions.at(-1)).toBe(added);
    expect(sim.renderAccessSession([added.lsid])).toContain(
      '<jump_group type="shared" id="1">A &amp; B</jump_group>',
    );
  });
});
