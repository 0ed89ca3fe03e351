/**
 * Public shapes of the three reports served besides the session ones: VaultAccountActivity, Team and
 * Syslog. Re-exported by `types.ts`; fields are only ever added, as there.
 */

/** The reports whose empty windows answer a no-data `<error>`. */
export type SimReportName = 'AccessSession' | 'AccessSessionListing' | 'VaultAccountActivity' | 'Team';

/**
 * The texts of a tenant's `<error>` replies in one language. `{param}`, `{value}` and `{report}`
 * are filled in with what a request asked for, as PRA echoes them.
 */
export interface PraLanguage {
  /** "No data", per report. */
  noData: Record<SimReportName, string>;
  /** A parameter the tenant does not accept. */
  invalidRequest: string;
  /** A report the appliance does not have. */
  unknownReport: string;
}

/** Which language the reporting API words its messages in: English, French, or one made up (`madeUpLanguage`). */
export type PraLocale = 'en' | 'fr' | PraLanguage;

export type FeedReportType = 'VaultAccountActivity' | 'Team' | 'Syslog';

/** Every report the simulator answers. */
export type SimReport = SimReportName | 'Syslog';

/**
 * `performed_by` of a vault event: `id` and `type` attributes and the name as element text. Each may be
 * missing; an empty name renders an element without text, which counts as no name.
 */
export interface SimVaultActor {
  id?: string;
  type?: string;
  name?: string;
}

/** One `<vault_account_activity>`. */
export interface SimVaultActivity {
  /** Unix seconds. */
  timestamp: number;
  eventType: string;
  /** Numeric id of the vault account (the `account` attribute). */
  account: string;
  /** Undefined: no `<performed_by>` element. */
  performedBy?: SimVaultActor;
  /** Undefined: no `<data>` element; `''`: an empty `<data />`. */
  data?: string;
}

/**
 * `addVaultActivity` input. A missing field is generated; `null` asks for no element at all (a
 * missing `performed_by` or `data`), which `undefined` cannot say since it means "generate".
 */
export interface AddVaultActivityInput {
  timestamp?: number;
  eventType?: string;
  account?: string;
  performedBy?: SimVaultActor | null;
  data?: string | null;
}

/** `performed_by` of a team event: `type` and `gsnumber` attributes, the name as element text. */
export interface SimTeamActor {
  type: string;
  gsnumber?: string;
  name: string;
}

/** One `<event>` of a `<team_activity>`. */
export interface SimTeamEvent {
  timestamp: number;
  eventType: string;
  /** Undefined: no `<performed_by>` element. */
  performedBy?: SimTeamActor;
  /** `<data><value name value/></data>` in this order; undefined: no element; `[]`: an empty `<data>`. */
  data?: Array<[string, string]>;
}

/** An entry of `<logged_in_representatives>`: state, not an event. */
export interface SimTeamMember {
  id: string;
  gsnumber: string;
  username: string;
  displayName: string;
  /** When the representative logged in, unix seconds: an element with a timestamp that is no event. */
  loggedInSince: number;
}

export interface SimTeam {
  id: string;
  name: string;
  loggedIn: SimTeamMember[];
  /**
   * Time order. The same event object may also sit in another team: PRA reports an event under every
   * team it concerns, and each occurrence is a separate event for the intake.
   */
  events: SimTeamEvent[];
}

/** `addTeamEvent` input: as `AddVaultActivityInput`, plus the ids of the teams that report it. */
export interface AddTeamEventInput {
  timestamp?: number;
  eventType?: string;
  performedBy?: SimTeamActor | null;
  data?: Array<[string, string]> | null;
  /** Ids of existing teams; default one team, picked at random. */
  teams?: string[];
}

/**
 * One message written to the appliance's syslog. A payload over the segment size is written as
 * several lines (segments) of the same pid; other pids' lines may come between them.
 */
export interface SimSyslogRecord {
  /** `key=value;...`, with `=`, `;` and `\` inside values escaped by a backslash. */
  readonly payload: string;
  /** The number in `BG[pid]`; undefined for the older `BG:` tag without one. */
  readonly pid?: number;
  readonly siteId: number;
  /** The `when` key of the payload (event time, unix seconds), when it has one. */
  readonly when?: number;
  /** Payload bytes of each segment, in order: joined they are the UTF-8 payload. */
  readonly segments: readonly Uint8Array[];
  /** How many segments are in the log so far. */
  readonly written: number;
  /**
   * `pending`: its last segments are still to be written (`continueSyslogRecord`). `cut`: another
   * record of the same pid started first, so it stays short for good, as when BG loses a segment.
   */
  readonly state: 'complete' | 'pending' | 'cut';
  /** Rotation dropped the member that held its first segment. */
  readonly dropped: boolean;
}

export interface AddSyslogRecordInput {
  /** The payload as written (values already escaped). Default: generated. */
  payload?: string;
  /** Or fields, escaped and joined by the simulator (`when` is not added: give it when wanted). */
  fields?: Array<[string, string]>;
  /**
   * Default 69065; `null` writes the older `BG:` tag without a pid. Token and Syslog-download records
   * use 71003, so they never cut a pending record of another pid short.
   */
  pid?: number | null;
  /** Default: the simulator's site id. */
  siteId?: number;
  /** Payload bytes per segment; cuts move back to a UTF-8 character boundary. Default: `syslog.segmentBytes`. */
  segmentBytes?: number;
  /** Explicit cut points, as byte offsets into the payload, used as they are (even inside a character). */
  cutAt?: number[];
  /** Segments written now; the rest waits for `continueSyslogRecord`. Default: all. */
  write?: number;
  /** Write `BG[pid]:1427:...`, without the space after the colon that most lines have. */
  noSpace?: boolean;
}

/** How the appliance's syslog files look in the Syslog report. */
export interface SimSyslogOptions {
  /** Host name in every line; default `pra-appliance`. */
  host?: string;
  /** Default 1427. */
  siteId?: number;
  /** The current file's name; default `syslog`. */
  fileName?: string;
  /**
   * Rotated members' names: `gzip` gives `syslog.1.gz`, `syslog.2.gz`...; `delaycompress` leaves
   * `syslog.1` uncompressed, as logrotate's option of that name does. Default `gzip`.
   */
  rotatedNaming?: 'gzip' | 'delaycompress';
  /** Rotated members kept; a rotation beyond it drops the oldest. Default 4. */
  keepRotated?: number;
  /** Payload bytes per segment; default 1000 (BG splits messages over about 1 KB). */
  segmentBytes?: number;
  /** Records written at start, spread over the history (a few more: some traps take two); default 24. */
  records?: number;
  /** Rotations during that history; default 2. */
  rotations?: number;
}

/** What the three reports hold at start and how they answer. Part of `PraSimulatorOptions`. */
export interface FeedOptions {
  /** Vault events at start, over the last `historySeconds`; default 12. */
  vaultActivities?: number;
  /** Teams; default 3. */
  teams?: number;
  /** Team events at start, over the last `historySeconds`; default 15. */
  teamEvents?: number;
  syslog?: SimSyslogOptions;
  /** Default `en`. Every report's no-data text follows it, and so do refused parameters in a language other than English. */
  locale?: PraLocale;
  /**
   * Reports this appliance does not have: `error` answers the unknown-report `<error>` (in the
   * locale's words), 404 an HTTP 404.
   */
  missingReports?: Partial<Record<SimReport, 'error' | 404>>;
  /**
   * Windows starting more than this many seconds before now are refused with the invalid-parameter
   * `<error>`, as a tenant might refuse what is older than its retention; default: none refused.
   */
  rejectWindowsOlderThan?: number;
  /**
   * Vault and Team windows widened by this many seconds on each side, so a collector that trusts the
   * bounds it asked for is caught; default 0.
   */
  windowSlack?: number;
  /**
   * An empty Vault or Team window answers the localised no-data `<error>` (default, as observed), or
   * `list`: the report element with no entries, as the vendor documentation describes it.
   */
  emptyActivityReply?: 'error' | 'list';
}

/** Control methods for the three reports. Part of `PraSimulator`. */
export interface FeedControls {
  /** Live views in time order (Syslog: written order); change them through the methods below. */
  readonly vaultActivity: readonly SimVaultActivity[];
  readonly teams: readonly SimTeam[];
  readonly syslogRecords: readonly SimSyslogRecord[];
  /** The simulator's clock, unix seconds. */
  currentTime(): number;
  /**
   * Adds a vault event, generated where the input says nothing. A timestamp in the past (a second
   * already reported) is a late arrival: later reports show it in time order.
   */
  addVaultActivity(input?: AddVaultActivityInput): SimVaultActivity;
  /** Adds a team event to one or more teams; late arrivals as for `addVaultActivity`. */
  addTeamEvent(input?: AddTeamEventInput): SimTeamEvent;
  /**
   * Writes a record to the current syslog file at the simulator's time; a generated one when the input
   * gives no payload. A record of a pid that left one pending cuts that one short.
   */
  addSyslogRecord(input?: AddSyslogRecordInput): SimSyslogRecord;
  /** Writes the next `segments` (default: all remaining) of a pending record. */
  continueSyslogRecord(record: SimSyslogRecord, segments?: number): void;
  /** Rotates the syslog files, then drops rotated members beyond `keep` (default `keepRotated`). */
  rotateSyslog(options?: { keep?: number }): void;
  setLocale(locale: PraLocale): void;
  setWindowSlack(seconds: number): void;
  /**
   * Makes a report answer HTTP 200 with this `<error>` message (a missing permission, a broken
   * appliance) until called again with undefined.
   */
  setReportError(report: SimReport, message: string | undefined): void;
}
