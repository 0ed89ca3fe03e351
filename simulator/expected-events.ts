/**
 * The exact events the intakes of the Vault, Team and Syslog feeds must receive, stated from the
 * simulator's data and the intake contract alone, never through the module's parsers: a parser bug
 * then shows as lost or unexpected events instead of being copied into the expectation.
 */
import { canonicalJson, compareMultisets, type DeliveryReport } from './delivery-check';
import type { PraSimulator, SimSyslogRecord, SimTeam, SimTeamEvent, SimVaultActivity } from './pra';

/** A Vault account activity event for the intake; every value is a string. */
export interface VaultIntakeEvent {
  timestamp: string;
  account_id: string;
  event_type: string;
  /** `null` for an empty `<data>`; absent without the element. */
  data?: string | null;
  /** Absent without the element; inside, each key only when the attribute (or the text) is there. */
  performed_by?: { id?: string; type?: string; name?: string };
}

/** A Team event for the intake; every value is a string. */
export interface TeamIntakeEvent {
  timestamp: string;
  event_type: string;
  /** The enclosing `team_activity`: an event reported under two teams is two events. */
  team: { id: string; name: string };
  /** `{}` without the element; `gsnumber` only when the attribute is there. */
  performed_by: { type?: string; gsnumber?: string; name?: string };
  /** `{ name: value }` of `data/value`, `Unknown` values kept; `{}` without data. */
  data: Record<string, string>;
}

/** Vault events a report produced now shows (none after the simulator's clock), in time order. */
export function expectedVaultEvents(
  pra: PraSimulator,
  select: (activity: SimVaultActivity) => boolean = () => true,
): VaultIntakeEvent[] {
  const now = pra.currentTime();
  return pra.vaultActivity.filter((a) => a.timestamp <= now && select(a)).map(vaultEvent);
}

function vaultEvent(a: SimVaultActivity): VaultIntakeEvent {
  const event: VaultIntakeEvent = {
    timestamp: String(a.timestamp),
    account_id: a.account,
    event_type: a.eventType,
  };
  if (a.performedBy) {
    const { id, type, name } = a.performedBy;
    event.performed_by = {
      ...(id !== undefined && { id }),
      ...(type !== undefined && { type }),
      // An element without text has no name.
      ...(name !== undefined && name !== '' && { name }),
    };
  }
  if (a.data !== undefined) event.data = a.data === '' ? null : a.data;
  return event;
}

/** Team events a report produced now shows, once per team that reports them, team by team. */
export function expectedTeamEvents(
  pra: PraSimulator,
  select: (event: SimTeamEvent, team: SimTeam) => boolean = () => true,
): TeamIntakeEvent[] {
  const now = pra.currentTime();
  return pra.teams.flatMap((team) =>
    team.events.filter((e) => e.timestamp <= now && select(e, team)).map((e) => teamEvent(e, team)),
  );
}

function teamEvent(e: SimTeamEvent, team: SimTeam): TeamIntakeEvent {
  const by = e.performedBy;
  return {
    timestamp: String(e.timestamp),
    event_type: e.eventType,
    team: { id: team.id, name: team.name },
    performed_by: by
      ? { type: by.type, ...(by.gsnumber !== undefined && { gsnumber: by.gsnumber }), name: by.name }
      : {},
    data: Object.fromEntries(e.data ?? []),
  };
}

/**
 * Syslog events: the reassembled payload of each record, without the syslog header, in written
 * order. A record cut short is expected once, as far as it was written (bytes joined, then decoded);
 * a record still pending is not expected until its last segment is written. By default every record
 * written counts, also those rotation dropped since: `select` narrows that (`(r) => !r.dropped`).
 */
export function expectedSyslogEvents(
  pra: PraSimulator,
  select: (record: SimSyslogRecord) => boolean = () => true,
): string[] {
  return pra.syslogRecords
    .filter((r) => r.state !== 'pending' && select(r))
    .map((r) =>
      r.state === 'complete' ? r.payload : Buffer.concat(r.segments.slice(0, r.written)).toString('utf8'),
    );
}

/** The reports of the feeds whose intake this module states. */
export type ActivityFeedReport = 'VaultAccountActivity' | 'Team' | 'Syslog';

/**
 * The intake of `report`'s feed against the simulator: what it must hold (of syslog, the records
 * whose first segment is still in the archive) against what it holds. The demo and the end-to-end
 * tests check every feed this way.
 */
export function checkFeedDelivery(
  report: ActivityFeedReport,
  pra: PraSimulator,
  delivered: readonly string[],
): DeliveryReport {
  switch (report) {
    case 'VaultAccountActivity':
      return compareJsonEvents(expectedVaultEvents(pra), delivered);
    case 'Team':
      return compareJsonEvents(expectedTeamEvents(pra), delivered);
    case 'Syslog':
      return compareSyslogEvents(
        expectedSyslogEvents(pra, (r) => !r.dropped),
        delivered,
      );
  }
}

/** Vault or Team: expected objects against the JSON strings the intake received, key order ignored. */
export function compareJsonEvents(expected: readonly object[], delivered: readonly string[]): DeliveryReport {
  return compareMultisets(expected.map(canonicalJson), delivered.map(canonicalOrRaw));
}

/** Syslog: expected payloads against the strings the intake received, byte for byte. */
export function compareSyslogEvents(
  expected: readonly string[],
  delivered: readonly string[],
): DeliveryReport {
  return compareMultisets(expected, delivered);
}

/** A delivered string that is no JSON stays as is, and so counts as unexpected. */
function canonicalOrRaw(json: string): string {
  try {
    return canonicalJson(JSON.parse(json));
  } catch {
    return json;
  }
}
