/**
 * The shapes that flow from a PRA report to the intake. `SessionEvent` is the compatibility
 * contract of Sekoia's intake parser: every scalar is a string exactly as in the XML, and
 * a key is absent (never null) when its source is absent or empty.
 */

/** `performed_by` / `destination` / `primary_*` objects: attributes, text and participant fields. */
export interface Party {
  type?: string;
  name?: string;
  gsnumber?: string;
  private_ip?: string;
  public_ip?: string;
  hostname?: string;
  os?: string;
}

export interface JumpGroup {
  name?: string;
  type?: string;
}

export interface SessionEvent {
  timestamp?: string;
  event_type?: string;
  performed_by?: Party;
  data?: Record<string, string>;
  destination?: Party;
  body?: string;
  session_id: string;
  jump_group?: JumpGroup;
  primary_customer?: Party;
  primary_rep?: Party;
  file_transfer_count?: string;
  file_move_count?: string;
  file_delete_count?: string;
}

/** One event of a session, with its position in `session_details` (0-based, document order). */
export interface ReportEvent {
  kind: 'event';
  lsid: string;
  index: number;
  event: SessionEvent;
}

/**
 * Emitted at `</session>`, after every event of that session. `endTime` is null while the session
 * is still running (empty or missing `end_time`). Times are unix seconds.
 */
export interface ReportSessionEnd {
  kind: 'session';
  lsid: string;
  startTime: number | null;
  endTime: number | null;
  eventCount: number;
}

export type ReportItem = ReportEvent | ReportSessionEnd;

/**
 * A ReportEvent as the forwarder takes it: its contract JSON, made where it was parsed, and the
 * little the forwarder reads without parsing that JSON again.
 */
export interface SerializedEvent {
  kind: 'event';
  lsid: string;
  index: number;
  timestamp: string | undefined;
  json: string;
}

export type SerializedItem = SerializedEvent | ReportSessionEnd;
