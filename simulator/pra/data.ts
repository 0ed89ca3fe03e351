/**
 * Deterministic session data. Everything comes from one seeded PRNG consumed in a fixed order, so the
 * same seed, options and sequence of calls give the same sessions. The content deliberately carries
 * the traps a collector must survive: markup and non-ASCII text, base64 chat, `Unknown` and missing
 * participant fields, sessions without jump group, shared timestamps.
 */
import { createHash } from 'node:crypto';

import { renderEvent } from './render';
import type { SimCustomer, SimEvent, SimParty, SimRep, SimSession } from './types';

/** mulberry32: tiny, fast, and good enough for test data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Built in one piece: a string grown character by character stays a rope of small pieces in V8. */
  chars(alphabet: string, length: number): string {
    const codes = new Array<number>(length);
    for (let i = 0; i < length; i++) {
      codes[i] = alphabet.charCodeAt(Math.floor(this.next() * alphabet.length));
    }
    return String.fromCharCode(...codes);
  }
}

/**
 * A template literal made into one flat string. Plain concatenation leaves a V8 rope of several
 * pieces for anything over 12 characters, which costs more than the text itself once a tenant holds
 * a million sessions' addresses.
 */
function flat(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  const parts: Array<string | number> = [strings[0]];
  values.forEach((value, i) => parts.push(value, strings[i + 1]));
  return parts.join('');
}

const HEX = '0123456789abcdef';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const SYSTEM: SimParty = { type: 'system', gsnumber: '0', name: 'Privileged Remote Access' };
const EVERYONE: SimParty = { type: 'everyone', gsnumber: '0', name: 'Everyone' };
const PRE_START: SimParty = { type: 'system', gsnumber: '0', name: 'Pre-start Conference' };

const ENDPOINTS: ReadonlyArray<{ name: string; hostname?: string; os?: string }> = [
  { name: 'db-prod-02', hostname: 'db-prod-02.example.net', os: 'Ubuntu 24.04' },
  { name: 'web-fe-01.example.net', hostname: 'web-fe-01.example.net', os: 'Windows Server 2022 Standard' },
  { name: '10.20.30.40', os: 'Unknown' },
  { name: 'Sekoia.io integration', hostname: 'sekoia-int', os: 'Debian 12' },
  { name: 'srv-fichiers-é01', hostname: 'srv-fichiers-e01.corp.example', os: 'Windows Server 2019' },
  { name: '日本-srv-03' },
];

/** PRA users whose names carry the traps: accents, CJK, quotes, markup. */
export const USERS: ReadonlyArray<{ username: string; displayName: string }> = [
  { username: 'amartin', displayName: 'Alice Martin' },
  { username: 'jdupont', displayName: 'Jérôme Dupont' },
  { username: 'ttanaka', displayName: '田中 太郎' },
  { username: 'sobrien', displayName: "Seán O'Brien" },
  { username: 'bops', displayName: 'Bob "Ops" <Lead>' },
];

const SHARED_GROUPS = ['DBA & Ops', 'Équipe DBA', 'Servers <prod>', '"Quoted" Group', '日本 チーム'];

const WINDOWS: ReadonlyArray<[string, string]> = [
  ['explorer.exe', 'Program Manager'],
  ['notepad.exe', 'notes & todo.txt - Notepad'],
  ['mmc.exe', 'Services (Local) — Gestion'],
  ['powershell.exe', 'Administrator: Windows PowerShell'],
];

const SPECIAL_ACTIONS = [
  'Sécurité Windows (Ctrl-Alt-Suppr)',
  'Reboot in Safe Mode',
  'Run "cmd.exe" as <SYSTEM>',
  'タスク マネージャー',
];

const SHELL_COMMANDS = [
  'ls -la /var/log',
  'sudo systemctl restart nginx && echo "ok"',
  'grep -c "<error" app.log',
];

/** Text of a chat line, chosen by `seq` so every trap shows up; `seq` also keeps lines distinct. */
const CHAT_LINES: ReadonlyArray<(seq: number) => string> = [
  (seq) => `Starting maintenance <CHG-${seq}>`,
  (seq) => `Backup & restore "done" (${seq})`,
  (seq) => `Redémarrage du service prévu à 22h — étape ${seq}`,
  (seq) => `日本語のメッセージ ${seq} 🚀`,
];

interface Cast {
  customer: SimParty;
  owner: SimParty;
  reps: SimParty[];
}

function castOf(session: SimSession): Cast {
  const customer = session.customers[0];
  const reps = session.reps.map((r) => ({
    type: 'representative',
    gsnumber: r.gsnumber,
    name: r.displayName,
  }));
  const owner = reps.find((r) => r.gsnumber === session.primaryRep?.gsnumber) ?? reps[0] ?? SYSTEM;
  return {
    customer: customer
      ? { type: 'customer', gsnumber: customer.gsnumber, name: customer.username ?? '' }
      : { type: 'customer', gsnumber: '1', name: '' },
    owner,
    reps,
  };
}

type EventBody = Omit<SimEvent, 'timestamp'>;
type Template = (rng: Rng, session: SimSession, cast: Cast, seq: number) => EventBody;

function fileEvent(eventType: string, from: 'customer' | 'owner', path: string): Template {
  return (rng, _s, cast) => ({
    eventType,
    performedBy: from === 'customer' ? cast.customer : cast.owner,
    destination: from === 'customer' ? cast.owner : cast.customer,
    data: [
      ['filename', path],
      ['filesize', String(rng.int(0, 5_000_000))],
    ],
  });
}

function windowEvent(eventType: string, withTarget: boolean): Template {
  return (rng, _s, _c, seq) => {
    const [exe, title] = rng.pick(WINDOWS);
    const data: Array<[string, string]> = [
      ['exeName', exe],
      ['windowName', `${title} (${seq})`],
    ];
    if (withTarget && rng.chance(0.5)) data.push(['targetName', `Item ${seq}`], ['targetType', 'list item']);
    return { eventType, performedBy: SYSTEM, data };
  };
}

/**
 * Event kinds that fill the body of a session. They are used in rotation (in an order shuffled per
 * seed), so every kind shows up once enough events exist. Values carry `seq` where a real event
 * naturally varies (file names, window titles, chat text), which keeps collisions rare; the
 * generator still checks uniqueness and re-rolls on a collision.
 */
const MIDDLE: readonly Template[] = [
  (_r, _s, _c, seq) => ({
    eventType: 'Chat Message',
    performedBy: SYSTEM,
    destination: EVERYONE,
    body: CHAT_LINES[seq % CHAT_LINES.length](seq),
  }),
  (_r, _s, cast, seq) => ({
    eventType: 'Chat Message',
    performedBy: cast.owner,
    destination: EVERYONE,
    body: CHAT_LINES[seq % CHAT_LINES.length](seq),
  }),
  // Text with a control character: XML cannot carry it, so PRA sends it base64-encoded.
  (_r, _s, cast, seq) => ({
    eventType: 'Chat Message',
    performedBy: cast.owner,
    destination: EVERYONE,
    body: `Pasted token\u0007 #${seq} é`,
    encodedBody: true,
  }),
  (rng, s, cast, seq) =>
    fileEvent('File Download', 'customer', `C:\\Users\\Public\\report-${seq}.pdf`)(rng, s, cast, seq),
  (rng, s, cast, seq) =>
    fileEvent('File Upload', 'owner', `/tmp/patch & fix-${seq}.tar.gz`)(rng, s, cast, seq),
  (rng, s, cast, seq) => fileEvent('File Deleted', 'owner', `/var/tmp/old-${seq}.log`)(rng, s, cast, seq),
  (rng, _s, cast, seq) => ({
    eventType: 'File Transfer Complete',
    performedBy: cast.customer,
    destination: cast.owner,
    data: [
      ['filename', `dump-${seq}.sql.gz`],
      ['sha256', rng.chars(HEX, 64)],
    ],
  }),
  (_r, _s, cast, seq) => ({
    eventType: 'File Moved',
    performedBy: cast.owner,
    destination: cast.customer,
    data: [
      ['old_path', `/srv/in/file-${seq}.csv`],
      ['new_path', `/srv/archive/file-${seq}.csv`],
    ],
  }),
  (_r, _s, cast, seq) => ({
    eventType: 'Directory Created',
    performedBy: cast.owner,
    destination: cast.customer,
    data: [['path', `C:\\Temp\\Équipe ${seq}`]],
  }),
  windowEvent('Session Foreground Window Changed', false),
  windowEvent('Session Window Closed', false),
  windowEvent('Session Mouse Left Clicked', true),
  (rng, _s, cast) => ({
    eventType: 'Special Action Executed',
    performedBy: cast.owner,
    data: [['action_name', rng.pick(SPECIAL_ACTIONS)]],
  }),
  (rng, _s, _c, seq) => ({
    eventType: 'Remote Shell Event',
    performedBy: SYSTEM,
    data: [['text', `${rng.pick(SHELL_COMMANDS)} # ${seq}`]],
  }),
  (rng, s, cast, seq) => ({
    eventType: 'Jump Item Authorization Request Utilized',
    performedBy: SYSTEM,
    data: [
      ['request_id', String(1000 + seq)],
      ['request_start_time', '2025-05-06 09:27:40 CEST'],
      ['request_duration', `${rng.int(1, 8)} hour(s)`],
      ['jump_policy_name', 'Prod approval'],
      ['jump_item_type', 'shell_jump'],
      ['jump_item_name', s.primaryCustomer?.name ?? ''],
      ['push_agent_name', 'Jumpoint Paris'],
      ['requesting_user', `${cast.owner.name} (${cast.owner.name.split(' ')[0].toLowerCase()}@example.com)`],
      ['requesting_user_id', s.primaryRep?.id ?? '0'],
      ['approval_applies_to', 'requestor'],
      ['request_reason', `Incident <INC-${seq}> & follow-up`],
      ['approver_name', 'Carla Approver'],
      ['request_approver', 'carla@example.com'],
      ['approver_comments', ''],
    ],
  }),
  (rng, _s, cast, seq) => ({
    eventType: 'Registry Value Modified',
    performedBy: cast.owner,
    destination: cast.customer,
    data: [
      ['key_path', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Example'],
      ['value_name', `Setting${seq}`],
      ['value_type', 'REG_DWORD'],
      ['value_data_old', String(rng.int(0, 9))],
      ['value_data_new', String(rng.int(10, 99))],
    ],
  }),
  (_r, s, cast, seq) => ({
    eventType: 'Command Shell Session Started',
    performedBy: cast.owner,
    data: [
      ['instance', String(seq)],
      [
        'download_url',
        `https://pra.example.com/session_download/?lsid=${s.lsid}&dl_action=shell&instance=${seq}`,
      ],
      [
        'view_url',
        `https://pra.example.com/session_download/?lsid=${s.lsid}&dl_action=shell&instance=${seq}&view=1`,
      ],
    ],
  }),
  (rng, _s, cast, seq) => ({
    eventType: 'Credential Injection Attempt',
    performedBy: cast.owner,
    destination: cast.customer,
    data: [
      ['attempt_id', String(seq)],
      ['credential_id', String(rng.int(1, 40))],
      ['credential_name', 'svc_backup@CORP'],
    ],
  }),
  (rng, _s, cast) => ({
    eventType: 'Conference Member State Changed',
    performedBy: rng.pick(cast.reps.length > 0 ? cast.reps : [cast.owner]),
    data: [['state', rng.pick(['connected', 'disconnected'])]],
  }),
];

function memberAdded(session: SimSession, cast: Cast): EventBody[] {
  const customer: SimCustomer | undefined = session.customers[0];
  const added: EventBody[] = [];
  if (customer) {
    added.push({
      eventType: 'Conference Member Added',
      performedBy: cast.customer,
      data: [
        ['name', customer.username ?? ''],
        ['private_ip', customer.privateIp ?? 'Unknown'],
        ['public_ip', customer.publicIp ?? 'Unknown'],
        ['hostname', customer.hostname ?? 'Unknown'],
        ['os', customer.os ?? 'Unknown'],
      ],
    });
  }
  session.reps.forEach((rep, i) =>
    added.push({
      eventType: 'Conference Member Added',
      performedBy: cast.reps[i],
      data: [
        ['private_name', rep.privateDisplayName ?? rep.displayName],
        ['username', rep.username ?? ''],
        ['private_ip', rep.privateIp ?? 'Unknown'],
        ['public_ip', rep.publicIp ?? 'Unknown'],
        ['os', rep.os ?? 'Unknown'],
        ['user_id', rep.id],
      ],
    }),
  );
  return added;
}

/** The opening every session has, in PRA's order: start, owner, members joining, owner connected. */
function prologue(session: SimSession, cast: Cast): EventBody[] {
  return [
    { eventType: 'Session Start' },
    { eventType: 'Conference Owner Changed', destination: PRE_START, data: [['owner', cast.owner.name]] },
    ...memberAdded(session, cast),
    { eventType: 'Conference Member State Changed', performedBy: cast.owner, data: [['state', 'connected']] },
  ];
}

export interface GeneratorOptions {
  seed: number;
  closedSessions: number;
  openSessions: number;
  eventsPerSession: number;
  historySeconds: number;
}

/**
 * Digests of the events of a session already checked, so uniqueness costs O(new events) and stays
 * small for 100k-event sessions.
 */
interface SeenEvents {
  digests: Set<string>;
  count: number;
}

/** The identity the uniqueness guarantee is about: the event's rendering, digested. */
function eventDigest(e: SimEvent): string {
  return createHash('sha1').update(renderEvent(e)).digest('base64');
}

export class SessionGenerator {
  private readonly rng: Rng;
  private readonly rotation: readonly Template[];
  private turn = 0;
  private lseq = 0;
  private readonly seen = new WeakMap<SimSession, SeenEvents>();

  constructor(private readonly options: GeneratorOptions) {
    this.rng = new Rng(options.seed);
    const order = [...MIDDLE];
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    this.rotation = order;
  }

  /**
   * The data set at `now`: closed sessions whose ends are spread over the history (the last two share
   * one end second, the inclusive-cursor trap), then open sessions; ordered by start time.
   */
  initialSessions(now: number): SimSession[] {
    const { closedSessions, openSessions, eventsPerSession, historySeconds } = this.options;
    const sessions: SimSession[] = [];
    for (let i = 0; i < closedSessions; i++) {
      const slot = Math.min(i, Math.max(closedSessions - 2, 0));
      const end = now - historySeconds + Math.floor(((slot + 1) * historySeconds) / (closedSessions + 1));
      sessions.push(this.historicSession(end, Math.max(eventsPerSession, 2), true));
    }
    for (let i = 0; i < openSessions; i++) {
      sessions.push(
        this.historicSession(now - this.rng.int(0, 30), Math.max(Math.floor(eventsPerSession / 4), 2), false),
      );
    }
    sessions.sort((a, b) => a.startTime - b.startTime);
    for (const s of sessions) s.lseq = ++this.lseq;
    return sessions;
  }

  /**
   * A new session: generated participants overridden by `fields`, then either the given events or
   * `events` generated ones for those participants (Session Start first, then up to `now`).
   */
  newSession(
    fields: Omit<Partial<SimSession>, 'events'>,
    events: number | SimEvent[],
    now: number,
  ): SimSession {
    const session: SimSession = { ...this.skeleton(fields.startTime ?? now), ...fields, events: [] };
    session.lseq = fields.lseq ?? ++this.lseq;
    if (Array.isArray(events)) {
      session.events = events;
      return session;
    }
    this.append(session, prologue(session, castOf(session)).slice(0, events), () => session.startTime);
    this.grow(session, Math.max(events - session.events.length, 0), now);
    return session;
  }

  /**
   * Appends `count` events with timestamps between the last event (or `since`, when later) and
   * `now`, never before the last.
   */
  grow(session: SimSession, count: number, now: number, since = -Infinity): SimEvent[] {
    const last = Math.max(since, session.events.at(-1)?.timestamp ?? session.startTime);
    const upper = Math.max(last, now);
    const times = Array.from({ length: count }, () => this.rng.int(last, upper)).sort((a, b) => a - b);
    const cast = castOf(session);
    return this.append(
      session,
      times.map(() => undefined),
      (i) => times[i],
      cast,
    );
  }

  /** Appends the final Session End at `at` (at least the last event's second). */
  end(session: SimSession, at: number): void {
    const timestamp = Math.max(at, session.events.at(-1)?.timestamp ?? session.startTime);
    this.append(session, [{ eventType: 'Session End' }], () => timestamp);
    session.endTime = timestamp;
    this.forget(session);
  }

  /**
   * A session built backwards from its last event at `lastAt`: event gaps of 0 s (30 %) to a few
   * seconds so seconds are often shared, scaled to fit `eventsPerSession` into the history.
   */
  private historicSession(lastAt: number, count: number, closed: boolean): SimSession {
    const session = this.skeleton(0);
    const cast = castOf(session);
    const opening = prologue(session, cast);
    const closing: EventBody[] = closed
      ? [
          { eventType: 'Conference Member Departed', performedBy: cast.customer },
          { eventType: 'Session End' },
        ]
      : [];
    const tail = closing.slice(-Math.max(count - 1, 1));
    const head = opening.slice(0, Math.max(count - tail.length, 1));
    const plan: Array<EventBody | undefined> = [
      ...head,
      ...Array.from({ length: count - head.length - tail.length }, () => undefined),
      ...tail,
    ];
    const maxGap = Math.min(120, Math.max(1, Math.floor(this.options.historySeconds / (2 * count))));
    const offsets: number[] = [];
    let t = 0;
    for (let i = 0; i < plan.length; i++) {
      if (i > 0) t += this.rng.chance(0.3) ? 0 : this.rng.int(1, maxGap);
      offsets.push(t);
    }
    const start = lastAt - t;
    session.startTime = start;
    this.append(session, plan, (i) => start + offsets[i], cast);
    session.endTime = closed ? lastAt : null;
    if (closed) {
      this.forget(session);
      // An array filled by push keeps room to grow (17 slots for 2 events); a closed session never
      // grows, and a large tenant is mostly closed sessions of a few events.
      session.events = session.events.slice();
    }
    return session;
  }

  /** Participants and session attributes, without events. */
  private skeleton(startTime: number): SimSession {
    const rng = this.rng;
    const lsid = rng.chance(0.25) ? rng.chars(ALNUM, 16) : rng.chars(HEX, 32);
    let gs = rng.int(1, 5);
    const endpoint = rng.pick(ENDPOINTS);
    const customer: SimCustomer = {
      gsnumber: String(gs++),
      username: endpoint.name,
      publicIp: flat`198.51.100.${rng.int(1, 254)}:${rng.int(40000, 60000)}`,
      privateIp: rng.chance(0.2)
        ? 'Unknown'
        : flat`10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
      hostname: endpoint.hostname,
      os: endpoint.os,
    };
    const repCount = rng.chance(0.3) ? 2 : 1;
    const users = [...USERS];
    const reps: SimRep[] = [];
    for (let i = 0; i < repCount; i++) {
      const user = users.splice(rng.int(0, users.length - 1), 1)[0];
      reps.push({
        gsnumber: String(gs++),
        id: String(rng.int(2, 60)),
        username: user.username,
        displayName: user.displayName,
        publicDisplayName: user.displayName,
        privateDisplayName: rng.chance(0.5) ? user.displayName : undefined,
        publicIp: rng.chance(0.5)
          ? flat`[2001:db8::${rng.int(1, 255)}]:${rng.int(40000, 60000)}`
          : flat`203.0.113.${rng.int(1, 254)}:${rng.int(40000, 60000)}`,
        privateIp: rng.chance(0.5) ? 'Unknown' : flat`192.168.${rng.int(0, 255)}.${rng.int(1, 254)}`,
        hostname: rng.chance(0.5) ? flat`${user.username}-laptop` : undefined,
        os: rng.pick(['Windows 11 Pro', 'macOS 15.1', 'Unknown']),
        sessionOwner: i === 0,
      });
    }
    const owner = reps[0];
    const groupRoll = rng.next();
    const jumpGroup =
      groupRoll < 0.1
        ? undefined
        : groupRoll < 0.3
          ? { type: 'personal', name: owner.displayName, id: owner.id }
          : { type: 'shared', name: rng.pick(SHARED_GROUPS), id: String(rng.int(1, 9)) };
    return {
      lsid,
      lseq: 0,
      startTime,
      endTime: null,
      externalKey: rng.chance(0.2) ? `CHG-${rng.int(1000, 9999)}` : '',
      jumpGroup,
      primaryCustomer: { gsnumber: customer.gsnumber, name: rng.chance(0.125) ? '' : endpoint.name },
      primaryRep: { gsnumber: owner.gsnumber, id: owner.id, name: owner.displayName },
      customers: [customer],
      reps,
      hasRecording: rng.chance(0.3),
      events: [],
    };
  }

  /**
   * Appends events in order: a given body is kept as is (scripted events are distinct by
   * construction), `undefined` means "next kind in the rotation".
   */
  private append(
    session: SimSession,
    plan: Array<EventBody | undefined>,
    timeOf: (i: number) => number,
    cast: Cast = castOf(session),
  ): SimEvent[] {
    const added: SimEvent[] = [];
    plan.forEach((planned, i) => {
      const timestamp = timeOf(i);
      const event = planned ? { timestamp, ...planned } : this.distinctEvent(session, cast, timestamp);
      session.events.push(event);
      added.push(event);
    });
    return added;
  }

  /**
   * The next kind in the rotation, re-rolled until its rendering differs from every event already in
   * the session. Only these events are digested, so scripted-only sessions (the short ones a large
   * tenant is made of) cost no hashing.
   */
  private distinctEvent(session: SimSession, cast: Cast, timestamp: number): SimEvent {
    const seen = this.seenOf(session);
    for (let attempt = 0; ; attempt++) {
      // A re-roll also moves `seq`, so kinds that carry it cannot collide again.
      const seq = session.events.length + attempt;
      const body = this.rotation[this.turn++ % this.rotation.length](this.rng, session, cast, seq);
      const event: SimEvent = { timestamp, ...body };
      const digest = eventDigest(event);
      if (!seen.digests.has(digest)) {
        // Counted as seen now: the caller appends it to the session before anything else reads it.
        seen.digests.add(digest);
        seen.count++;
        return event;
      }
    }
  }

  /** Tracks keys lazily, also for events a caller pushed into `session.events` directly. */
  private seenOf(session: SimSession): SeenEvents {
    let seen = this.seen.get(session);
    if (!seen) {
      seen = { digests: new Set(), count: 0 };
      this.seen.set(session, seen);
    }
    for (; seen.count < session.events.length; seen.count++)
      seen.digests.add(eventDigest(session.events[seen.count]));
    return seen;
  }

  /** An ended session never grows again, so the digests kept to make its new events distinct can go. */
  private forget(session: SimSession): void {
    this.seen.delete(session);
  }
}
