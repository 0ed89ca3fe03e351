/**
 * The Team report: seeded teams and events, and their `<team_activity_list>` rendering. The data
 * carries what a collector must survive: one event reported under two teams (two events for the
 * intake), identical events in one second, events without `performed_by` or `data`, an empty
 * `<data>`, a performer without gsnumber, `Unknown` values, and `logged_in_representatives` entries that are state, not events.
 */
import { activityListChunks, ENTRIES_PER_CHUNK } from './activity-report';
import { historyTimes, insertInTimeOrder, shows, type ActivityWindow } from './activity-window';
import { USERS, type Rng } from './data';
import type { AddTeamEventInput, SimTeam, SimTeamActor, SimTeamEvent, SimTeamMember } from './feed-types';
import { attrs, inChunks, isoTime, Names, renderEventWith } from './render';

const TEAM_NAMES = ['Équipe DBA & Ops', 'Servers <prod>', '日本 チーム', 'Support "Tier 2"', 'Network'];

/** Event kinds; `data` varies by `seq` where a real event would, and is absent for some kinds. */
const KINDS: ReadonlyArray<{ eventType: string; data?: (rng: Rng, seq: number) => Array<[string, string]> }> =
  [
    {
      eventType: 'Logged In',
      data: (rng) => [
        ['public_ip', `203.0.113.${rng.int(1, 254)}`],
        // PRA writes `Unknown` for what it could not collect; it is a value like any other.
        ['private_ip', rng.chance(0.5) ? 'Unknown' : `10.0.0.${rng.int(1, 254)}`],
        ['hostname', 'Unknown'],
      ],
    },
    { eventType: 'Logged Out' },
    { eventType: 'Status Changed', data: (rng) => [['status', rng.pick(['Available', 'Busy', 'Absent'])]] },
    {
      eventType: 'Team Chat Message',
      data: (_rng, seq) => [['message', `Maintenance <CHG-${seq}> & "rollback" prévue — 日本 ${seq}`]],
    },
    {
      eventType: 'Session Transferred',
      data: (rng, seq) => [
        ['lsid', `${rng.chars('0123456789abcdef', 28)}${String(seq).padStart(4, '0')}`],
        ['to_team', rng.pick(TEAM_NAMES)],
      ],
    },
    { eventType: 'Joined Team', data: () => [] },
  ];

/**
 * How every generated history opens, so a small data set holds each trap. Teams are given by
 * position (`teamIndexes`, default one at random); `again` repeats the previous event in the same
 * second and teams.
 */
const OPENING: ReadonlyArray<(Omit<AddTeamEventInput, 'teams'> & { teamIndexes?: number[] }) | 'again'> = [
  { eventType: 'Logged In', teamIndexes: [0, 1] },
  { eventType: 'Status Changed', teamIndexes: [0] },
  'again',
  { eventType: 'Queue Overflow', performedBy: null, data: [['queue', 'Équipe DBA & Ops']] },
  { eventType: 'Logged Out', data: null },
  { eventType: 'Joined Team', performedBy: { type: 'system', name: 'Privileged Remote Access' } },
];

export interface TeamHistory {
  teams: number;
  events: number;
  now: number;
  historySeconds: number;
}

export class TeamActivityLog {
  readonly teams: SimTeam[] = [];
  private seq = 0;

  constructor(
    private readonly rng: Rng,
    history: TeamHistory,
  ) {
    for (let i = 0; i < history.teams; i++) this.teams.push(this.newTeam(i, history.now));
    if (this.teams.length === 0) return;
    const times = historyTimes(rng, history.events, history.now, history.historySeconds);
    let previous: { event: SimTeamEvent; teams: SimTeam[] } | undefined;
    times.forEach((timestamp, i) => {
      const opening = OPENING[i] ?? {};
      if (opening === 'again') {
        if (previous) this.place(structuredClone(previous.event), previous.teams);
        return;
      }
      // With fewer teams than the opening names, its events stay in the teams there are.
      const teams = opening.teamIndexes?.flatMap((n) => this.teams.at(n) ?? []) ?? [
        this.rng.pick(this.teams),
      ];
      previous = { event: this.build(opening, timestamp, teams[0]), teams };
      this.place(previous.event, teams);
    });
  }

  /** Adds an event to the teams the input names (default one at random), in time order. */
  add(input: AddTeamEventInput, now: number): SimTeamEvent {
    const teams = this.teamsFor(input.teams);
    const event = this.build(input, input.timestamp ?? now, teams[0]);
    this.place(event, teams);
    return event;
  }

  /** Each team with activity a report produced at `now` shows, with that activity. */
  select(window: ActivityWindow, slack: number, now: number): SimTeam[] {
    const shown: SimTeam[] = [];
    for (const team of this.teams) {
      const events = team.events.filter((e) => shows(e.timestamp, window, slack, now));
      if (events.length > 0) shown.push({ ...team, events });
    }
    return shown;
  }

  private place(event: SimTeamEvent, teams: SimTeam[]): void {
    for (const team of teams) insertInTimeOrder(team.events, event);
  }

  private teamsFor(ids: string[] | undefined): SimTeam[] {
    if (this.teams.length === 0)
      throw new Error('PRA simulator: no team to add the event to (option teams is 0)');
    if (ids === undefined) return [this.rng.pick(this.teams)];
    return ids.map((id) => {
      const team = this.teams.find((t) => t.id === id);
      if (!team) {
        throw new Error(
          `PRA simulator: unknown team ${id}; teams are ${this.teams.map((t) => t.id).join(', ')}`,
        );
      }
      return team;
    });
  }

  /** An event from `input`, the rest generated (performer from `team`); `null` means "no element". */
  private build(input: AddTeamEventInput, timestamp: number, team: SimTeam): SimTeamEvent {
    const seq = ++this.seq;
    const kind = KINDS.find((k) => k.eventType === input.eventType) ?? this.rng.pick(KINDS);
    const event: SimTeamEvent = { timestamp, eventType: input.eventType ?? kind.eventType };
    const performedBy = input.performedBy === undefined ? this.performer(team) : input.performedBy;
    if (performedBy) event.performedBy = { ...performedBy };
    const data = input.data === undefined ? kind.data?.(this.rng, seq) : input.data;
    if (data) event.data = data.map(([name, value]) => [name, value]);
    return event;
  }

  private performer(team: SimTeam): SimTeamActor {
    const member = this.rng.pick(team.loggedIn);
    return { type: 'representative', gsnumber: member.gsnumber, name: member.displayName };
  }

  private newTeam(index: number, now: number): SimTeam {
    const users = [...USERS];
    const loggedIn: SimTeamMember[] = [];
    for (let i = this.rng.int(1, 3); i > 0; i--) {
      const user = users.splice(this.rng.int(0, users.length - 1), 1)[0];
      loggedIn.push({
        id: String(this.rng.int(2, 60)),
        gsnumber: String(this.rng.int(1, 99)),
        username: user.username,
        displayName: user.displayName,
        loggedInSince: now - this.rng.int(60, 7200),
      });
    }
    return { id: String(index + 1), name: TEAM_NAMES[index % TEAM_NAMES.length], loggedIn, events: [] };
  }
}

function renderMember(names: Names, m: SimTeamMember): string {
  return (
    names.open(
      'representative',
      attrs([
        ['id', m.id],
        ['gsnumber', m.gsnumber],
      ]),
    ) +
    names.el('username', '', m.username) +
    names.el('display_name', '', m.displayName) +
    names.el('logged_in_since', attrs([['timestamp', String(m.loggedInSince)]]), isoTime(m.loggedInSince)) +
    names.close('representative')
  );
}

function* teamChunks(names: Names, team: SimTeam): Generator<string> {
  let head = names.open(
    'team_activity',
    attrs([
      ['name', team.name],
      ['id', team.id],
    ]),
  );
  head += names.open('logged_in_representatives');
  for (const member of team.loggedIn) head += renderMember(names, member);
  yield `${head}${names.close('logged_in_representatives')}${names.open('events')}\n`;
  yield* inChunks(team.events, (e) => `${renderEventWith(names, e)}\n`, ENTRIES_PER_CHUNK);
  yield `${names.close('events')}${names.close('team_activity')}\n`;
}

function* allTeamChunks(names: Names, teams: readonly SimTeam[]): Generator<string> {
  for (const team of teams) yield* teamChunks(names, team);
}

/** `<team_activity_list>` holding `teams` (as `select` gives them). */
export function teamReportChunks(
  names: Names,
  window: ActivityWindow,
  teams: readonly SimTeam[],
): Generator<string> {
  return activityListChunks(names, 'team_activity_list', window, allTeamChunks(names, teams));
}
