/**
 * The VaultAccountActivity report: seeded events and their `<vault_account_activity_list>` rendering.
 * The data carries what a collector must survive: empty and missing `<data>`, missing
 * `<performed_by>` and missing attributes in it, markup and non-ASCII text, and identical events in
 * one second (a credential used twice), which are two real events.
 */
import { activityListChunks, ENTRIES_PER_CHUNK } from './activity-report';
import { historyTimes, insertInTimeOrder, shows, type ActivityWindow } from './activity-window';
import type { Rng } from './data';
import type { AddVaultActivityInput, SimVaultActivity, SimVaultActor } from './feed-types';
import { attrs, inChunks, Names } from './render';

// What PRA does by itself (scheduled rotations) has a performer without id.
const SYSTEM: SimVaultActor = { type: 'System', name: 'System' };

const ACTORS: readonly SimVaultActor[] = [
  { id: '2', type: 'User', name: 'John Doe' },
  { id: '7', type: 'User', name: 'Jérôme Dupont' },
  { id: '9', type: 'User', name: '田中 太郎' },
  { id: '12', type: 'User', name: 'Bob "Ops" <Lead>' },
  { id: '3', type: 'API Account', name: 'Sekoia.io collector' },
  SYSTEM,
];

/** Event kinds and their `data` text for a sequence number (undefined: no `<data>`, '': empty). */
const KINDS: ReadonlyArray<{ eventType: string; data: (seq: number) => string | undefined }> = [
  { eventType: 'Password Changed', data: () => 'Manually Edited' },
  {
    eventType: 'Password Rotated',
    data: (seq) => (seq % 2 ? 'Scheduled rotation' : 'Rotation after check-in'),
  },
  {
    eventType: 'Password Rotation Failed',
    data: (seq) => `Rotation failed on <srv-${seq}> & "svc_backup": accès refusé`,
  },
  { eventType: 'Account Created', data: () => undefined },
  { eventType: 'Account Deleted', data: () => '' },
  { eventType: 'Credentials Checked Out', data: (seq) => `Checked out for session « ${seq} » 🔑` },
  { eventType: 'Credentials Checked In', data: () => '' },
  { eventType: 'Credentials Used', data: (seq) => `Injected into Jump Item 日本-srv-${seq}` },
];

/** Account ids stay few, so events of one account (a credential used twice) are common. */
const ACCOUNTS = 12;

/**
 * How every generated history opens, so even a small data set holds each trap: `again` repeats the
 * previous event in the same second (a credential used twice: two real, identical events).
 */
const OPENING: ReadonlyArray<AddVaultActivityInput | 'again'> = [
  { eventType: 'Credentials Used' },
  'again',
  { eventType: 'Account Deleted' },
  { eventType: 'Account Created' },
  { eventType: 'Password Rotation Failed', performedBy: SYSTEM },
  { eventType: 'Password Changed', performedBy: null },
];

export interface VaultHistory {
  count: number;
  now: number;
  historySeconds: number;
}

export class VaultActivityLog {
  readonly activity: SimVaultActivity[] = [];
  private seq = 0;

  constructor(
    private readonly rng: Rng,
    history: VaultHistory,
  ) {
    const times = historyTimes(rng, history.count, history.now, history.historySeconds);
    times.forEach((timestamp, i) => {
      const opening = OPENING[i] ?? {};
      this.activity.push(
        opening === 'again' ? structuredClone(this.activity[i - 1]) : this.build(opening, timestamp),
      );
    });
  }

  /** Adds an event, generated where the input says nothing, in time order. */
  add(input: AddVaultActivityInput, now: number): SimVaultActivity {
    const activity = this.build(input, input.timestamp ?? now);
    insertInTimeOrder(this.activity, activity);
    return activity;
  }

  /** The events a report produced at `now` for `window` shows, in time order. */
  select(window: ActivityWindow, slack: number, now: number): SimVaultActivity[] {
    return this.activity.filter((a) => shows(a.timestamp, window, slack, now));
  }

  /** An event from `input`, the rest generated; `null` in the input means "no element". */
  private build(input: AddVaultActivityInput, timestamp: number): SimVaultActivity {
    const seq = ++this.seq;
    const kind = KINDS.find((k) => k.eventType === input.eventType) ?? this.rng.pick(KINDS);
    const activity: SimVaultActivity = {
      timestamp,
      eventType: input.eventType ?? kind.eventType,
      account: input.account ?? String(this.rng.int(1, ACCOUNTS)),
    };
    // About one generated event in eight has no performer at all.
    const performedBy =
      input.performedBy === undefined
        ? this.rng.chance(0.125)
          ? null
          : this.rng.pick(ACTORS)
        : input.performedBy;
    if (performedBy) activity.performedBy = { ...performedBy };
    const data = input.data === undefined ? kind.data(seq) : input.data;
    if (data !== null && data !== undefined) activity.data = data;
    return activity;
  }
}

function renderActivity(names: Names, a: SimVaultActivity): string {
  let out = names.open(
    'vault_account_activity',
    attrs([
      ['timestamp', String(a.timestamp)],
      ['event_type', a.eventType],
      ['account', a.account],
    ]),
  );
  if (a.performedBy) {
    const by = attrs([
      ['id', a.performedBy.id],
      ['type', a.performedBy.type],
    ]);
    out += a.performedBy.name
      ? names.el('performed_by', by, a.performedBy.name)
      : names.empty('performed_by', by);
  }
  if (a.data !== undefined) out += a.data === '' ? names.empty('data') : names.el('data', '', a.data);
  return `${out}${names.close('vault_account_activity')}\n`;
}

/** `<vault_account_activity_list>` holding `activity`. */
export function vaultReportChunks(
  names: Names,
  window: ActivityWindow,
  activity: readonly SimVaultActivity[],
): Generator<string> {
  return activityListChunks(
    names,
    'vault_account_activity_list',
    window,
    inChunks(activity, (a) => renderActivity(names, a), ENTRIES_PER_CHUNK),
  );
}
