/**
 * Streaming parsers for the PRA reporting API's AccessSession and AccessSessionListing reports.
 * What comes out is the shape Sekoia's "BeyondTrust Privileged Remote Access Session" intake parser reads
 * (see SessionEvent).
 */
import { parseError } from '../../pra/errors';
import type { JumpGroup, Party, ReportItem, SessionEvent } from './events';
import { IncrementalXmlParser, MAX_DEPTH, streamXml } from '../../xml/reader';
import { PraReportSink } from '../../xml/report-sink';
import { TextCapture } from '../../xml/text-capture';
import { addDataValue } from '../../xml/data-values';

export interface ParseOptions {
  /**
   * Events of one session held back until </session> so that session-level fields that come after
   * session_details still reach them; past this many, events are emitted with what is known
   * (bounded memory). Default 1000.
   */
  maxBufferedEvents?: number;
}

const DEFAULT_MAX_BUFFERED_EVENTS = 1000;

/**
 * Streams an AccessSession report. Yields, in document order, each session's events then its
 * ReportSessionEnd item. The no-data <error> → yields nothing. Any other <error> (at any depth,
 * including as root) → throws an 'api' PraError with its text. Malformed XML → a 'parse' PraError with line and
 * column.
 *
 * Session-level objects (jump_group, primary_customer, primary_rep) are shared, frozen, by the
 * events of one session. Bytes are read as UTF-8 and invalid sequences become U+FFFD (no error). A
 * DOCTYPE, nesting deeper than 64 elements, one text/tag/attribute over 1 Mi characters, a
 * `<session>` without lsid or a root other than `<session_list>`/`<error>` → a 'parse' PraError.
 */
export function parseAccessSessionReport(
  input: AsyncIterable<Buffer | string>,
  options: ParseOptions = {},
): AsyncIterable<ReportItem> {
  return streamXml(input, accessSessionSink(options));
}

/** The same parser, fed synchronously chunk by chunk (for a parse off the main thread). */
export function createAccessSessionParser(options: ParseOptions = {}): IncrementalXmlParser<ReportItem> {
  return new IncrementalXmlParser(accessSessionSink(options));
}

function accessSessionSink(options: ParseOptions): AccessSessionSink {
  const maxBuffered = options.maxBufferedEvents ?? DEFAULT_MAX_BUFFERED_EVENTS;
  if (!Number.isInteger(maxBuffered) || maxBuffered < 0) {
    throw new RangeError(`maxBufferedEvents must be a non-negative integer, got ${maxBuffered}`);
  }
  return new AccessSessionSink(maxBuffered);
}

/** What an open element is; an element's meaning follows from its name and its parent's. */
const enum Meaning {
  Ignored,
  Document,
  Root,
  Session,
  ParticipantList,
  Participant,
  SessionDetails,
  Event,
  EventData,
  Captured,
}

// Which field a captured text goes to.
const enum Field {
  JumpGroup,
  PrimaryCustomer,
  PrimaryRep,
  FileTransferCount,
  FileMoveCount,
  FileDeleteCount,
  PrivateIp,
  PublicIp,
  Hostname,
  Os,
  PerformedBy,
  Destination,
  Body,
  EncodedBody,
}

type ParticipantFields = Pick<Party, 'private_ip' | 'public_ip' | 'hostname' | 'os'>;

/** `performed_by` / `destination` as read: attributes and text, before any merge. */
interface RawParty {
  type: string | undefined;
  name: string | undefined;
  gsnumber: string | undefined;
}

interface RawEvent {
  timestamp: string | undefined;
  eventType: string | undefined;
  performedBy: RawParty | undefined;
  destination: RawParty | undefined;
  data: Record<string, string> | undefined;
  body: string | undefined;
  encodedBody: string | undefined;
}

/** The session-level part of every event, built once per session (again if a field changes). */
interface SessionHeader {
  jump_group: JumpGroup | undefined;
  primary_customer: Party | undefined;
  primary_rep: Party | undefined;
}

class SessionInProgress {
  readonly participants = new Map<string, ParticipantFields>();
  pending: RawEvent[] = [];
  /** Set once the buffer overflowed: from then on events leave as soon as they are complete. */
  streaming = false;
  eventCount = 0;
  startTime: number | null = null;
  endTime: number | null = null;
  jumpGroupName: string | undefined;
  jumpGroupType: string | undefined;
  primaryCustomer: RawParty | undefined;
  primaryRep: RawParty | undefined;
  fileTransferCount: string | undefined;
  fileMoveCount: string | undefined;
  fileDeleteCount: string | undefined;
  private header: SessionHeader | undefined;

  constructor(readonly lsid: string) {}

  /** Call after changing any session-level field. */
  changed(): void {
    this.header = undefined;
  }

  getHeader(): SessionHeader {
    if (this.header === undefined) {
      const jumpGroup: JumpGroup = {};
      if (this.jumpGroupName) jumpGroup.name = this.jumpGroupName;
      if (this.jumpGroupType) jumpGroup.type = this.jumpGroupType;
      this.header = {
        jump_group: nonEmpty(Object.freeze(jumpGroup)),
        primary_customer: this.primaryParty(this.primaryCustomer),
        primary_rep: this.primaryParty(this.primaryRep),
      };
    }
    return this.header;
  }

  /** `{type, name, gsnumber}` then, if asked, the participant fields of that gsnumber. */
  party(raw: RawParty | undefined, withParticipant: boolean): Party | undefined {
    if (raw === undefined) return undefined;
    const party: Party = {};
    if (raw.type) party.type = raw.type;
    if (raw.name) party.name = raw.name;
    if (raw.gsnumber) {
      party.gsnumber = raw.gsnumber;
      if (withParticipant) {
        const fields = this.participants.get(raw.gsnumber);
        // Copied one by one: the contract's key order, not the order of the XML children.
        if (fields !== undefined) {
          if (fields.private_ip !== undefined) party.private_ip = fields.private_ip;
          if (fields.public_ip !== undefined) party.public_ip = fields.public_ip;
          if (fields.hostname !== undefined) party.hostname = fields.hostname;
          if (fields.os !== undefined) party.os = fields.os;
        }
      }
    }
    return nonEmpty(party);
  }

  private primaryParty(raw: RawParty | undefined): Party | undefined {
    const party = this.party(raw, true);
    return party === undefined ? undefined : Object.freeze(party);
  }
}

function nonEmpty<T extends object>(value: T): T | undefined {
  for (const key in value) if (Object.hasOwn(value, key)) return value;
  return undefined;
}

function rawParty(type: string | undefined, gsnumber: string | undefined): RawParty {
  return { type, name: undefined, gsnumber };
}

/** Unix seconds from a `timestamp` attribute; null when missing, empty or not a number. */
function unixSeconds(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds : null;
}

class AccessSessionSink extends PraReportSink<ReportItem> {
  private readonly meaning = new Uint8Array(MAX_DEPTH + 1);
  private session: SessionInProgress | undefined;
  private event: RawEvent | undefined;
  private party: RawParty | undefined;
  private participant: ParticipantFields | undefined;
  private captureField = Field.JumpGroup;
  private readonly captured = new TextCapture();

  constructor(private readonly maxBuffered: number) {
    super('session_list');
    this.meaning[0] = Meaning.Document;
  }

  protected open(name: string, attributes: Readonly<Record<string, string>>, depth: number): void {
    let meaning: Meaning = Meaning.Ignored;
    switch (this.meaning[depth - 1]) {
      case Meaning.Document:
        meaning = Meaning.Root;
        break;
      case Meaning.Root:
        if (name === 'session') {
          const lsid = attributes.lsid;
          if (!lsid) throw parseError('session without lsid');
          this.session = new SessionInProgress(lsid);
          meaning = Meaning.Session;
        }
        break;
      case Meaning.Session:
        meaning = this.openSessionChild(name, attributes, depth);
        break;
      case Meaning.ParticipantList:
        if (name === 'customer' || name === 'representative') {
          this.participant = this.participantFor(attributes.gsnumber);
          meaning = Meaning.Participant;
        }
        break;
      case Meaning.Participant:
        meaning = this.openParticipantChild(name, depth);
        break;
      case Meaning.SessionDetails:
        if (name === 'event') {
          this.event = {
            timestamp: attributes.timestamp,
            eventType: attributes.event_type,
            performedBy: undefined,
            destination: undefined,
            data: undefined,
            body: undefined,
            encodedBody: undefined,
          };
          meaning = Meaning.Event;
        }
        break;
      case Meaning.Event:
        meaning = this.openEventChild(name, attributes, depth);
        break;
      case Meaning.EventData:
        if (name === 'value') this.event!.data = addDataValue(this.event!.data, attributes);
        break;
      case Meaning.Captured:
        this.captured.childOpened();
        break;
    }
    this.meaning[depth] = meaning;
  }

  private openSessionChild(
    name: string,
    attributes: Readonly<Record<string, string>>,
    depth: number,
  ): Meaning {
    const session = this.session!;
    switch (name) {
      case 'start_time':
        session.startTime = unixSeconds(attributes.timestamp);
        return Meaning.Ignored;
      case 'end_time':
        session.endTime = unixSeconds(attributes.timestamp);
        return Meaning.Ignored;
      case 'jump_group':
        session.jumpGroupType = attributes.type;
        session.changed();
        return this.capture(Field.JumpGroup, depth);
      case 'primary_customer':
        session.primaryCustomer = this.party = rawParty(undefined, attributes.gsnumber);
        session.changed();
        return this.capture(Field.PrimaryCustomer, depth);
      case 'primary_rep':
        session.primaryRep = this.party = rawParty(undefined, attributes.gsnumber);
        session.changed();
        return this.capture(Field.PrimaryRep, depth);
      case 'file_transfer_count':
        return this.capture(Field.FileTransferCount, depth);
      case 'file_move_count':
        return this.capture(Field.FileMoveCount, depth);
      case 'file_delete_count':
        return this.capture(Field.FileDeleteCount, depth);
      case 'customer_list':
      case 'rep_list':
        return Meaning.ParticipantList;
      case 'session_details':
        return Meaning.SessionDetails;
      default:
        return Meaning.Ignored;
    }
  }

  private participantFor(gsnumber: string | undefined): ParticipantFields | undefined {
    if (!gsnumber) return undefined;
    const session = this.session!;
    let fields = session.participants.get(gsnumber);
    if (fields === undefined) {
      fields = {};
      session.participants.set(gsnumber, fields);
    }
    return fields;
  }

  private openParticipantChild(name: string, depth: number): Meaning {
    if (this.participant === undefined) return Meaning.Ignored;
    switch (name) {
      case 'private_ip':
        return this.capture(Field.PrivateIp, depth);
      case 'public_ip':
        return this.capture(Field.PublicIp, depth);
      case 'hostname':
        return this.capture(Field.Hostname, depth);
      case 'os':
        return this.capture(Field.Os, depth);
      default:
        return Meaning.Ignored;
    }
  }

  private openEventChild(name: string, attributes: Readonly<Record<string, string>>, depth: number): Meaning {
    const event = this.event!;
    switch (name) {
      case 'performed_by':
        event.performedBy = this.party = rawParty(attributes.type, attributes.gsnumber);
        return this.capture(Field.PerformedBy, depth);
      case 'destination':
        event.destination = this.party = rawParty(attributes.type, attributes.gsnumber);
        return this.capture(Field.Destination, depth);
      case 'data':
        return Meaning.EventData;
      case 'body':
        return this.capture(Field.Body, depth);
      case 'encoded_body':
        return this.capture(Field.EncodedBody, depth);
      default:
        return Meaning.Ignored;
    }
  }

  private capture(field: Field, depth: number): Meaning {
    this.captureField = field;
    this.captured.start(depth);
    return Meaning.Captured;
  }

  protected text(text: string, depth: number): void {
    this.captured.characters(text, depth);
  }

  protected close(_name: string, depth: number): void {
    switch (this.meaning[depth]) {
      case Meaning.Captured:
        this.endCapture();
        break;
      case Meaning.Event:
        this.endEvent(this.event!);
        this.event = undefined;
        break;
      case Meaning.Participant:
        this.participant = undefined;
        break;
      case Meaning.Session:
        this.endSession(this.session!);
        this.session = undefined;
        break;
    }
  }

  private endCapture(): void {
    const text = this.captured.finish();
    const session = this.session!;
    switch (this.captureField) {
      case Field.JumpGroup:
        session.jumpGroupName = text;
        session.changed();
        break;
      case Field.PrimaryCustomer:
      case Field.PrimaryRep:
        this.party!.name = text;
        session.changed();
        break;
      case Field.PerformedBy:
      case Field.Destination:
        this.party!.name = text;
        break;
      case Field.FileTransferCount:
        session.fileTransferCount = text;
        break;
      case Field.FileMoveCount:
        session.fileMoveCount = text;
        break;
      case Field.FileDeleteCount:
        session.fileDeleteCount = text;
        break;
      case Field.PrivateIp:
      case Field.PublicIp:
      case Field.Hostname:
      case Field.Os:
        this.setParticipantField(this.captureField, text);
        break;
      case Field.Body:
        this.event!.body = text;
        break;
      case Field.EncodedBody:
        this.event!.encodedBody = text;
        break;
    }
  }

  private setParticipantField(field: Field, text: string): void {
    // PRA writes "Unknown" for what it did not collect; that is no value.
    if (text === '' || text === 'Unknown') return;
    const participant = this.participant!;
    if (field === Field.PrivateIp) participant.private_ip = text;
    else if (field === Field.PublicIp) participant.public_ip = text;
    else if (field === Field.Hostname) participant.hostname = text;
    else participant.os = text;
    this.session!.changed();
  }

  private endEvent(event: RawEvent): void {
    const session = this.session!;
    if (session.streaming) {
      this.emit(session, event);
      return;
    }
    session.pending.push(event);
    if (session.pending.length > this.maxBuffered) {
      this.flush(session);
      session.streaming = true;
    }
  }

  private endSession(session: SessionInProgress): void {
    this.flush(session);
    this.out.push({
      kind: 'session',
      lsid: session.lsid,
      startTime: session.startTime,
      endTime: session.endTime,
      eventCount: session.eventCount,
    });
  }

  private flush(session: SessionInProgress): void {
    for (const event of session.pending) this.emit(session, event);
    session.pending = [];
  }

  private emit(session: SessionInProgress, raw: RawEvent): void {
    const header = session.getHeader();
    // Built key by key in the contract's order, so that JSON.stringify matches it byte for byte.
    const event = {} as SessionEvent;
    if (raw.timestamp) event.timestamp = raw.timestamp;
    if (raw.eventType) event.event_type = raw.eventType;
    const performedBy = session.party(raw.performedBy, true);
    if (performedBy !== undefined) event.performed_by = performedBy;
    if (raw.data !== undefined) event.data = raw.data;
    const destination = session.party(raw.destination, false);
    if (destination !== undefined) event.destination = destination;
    const body = raw.encodedBody ? Buffer.from(raw.encodedBody, 'base64').toString('utf8') : raw.body;
    if (body) event.body = body;
    event.session_id = session.lsid;
    if (header.jump_group !== undefined) event.jump_group = header.jump_group;
    if (header.primary_customer !== undefined) event.primary_customer = header.primary_customer;
    if (header.primary_rep !== undefined) event.primary_rep = header.primary_rep;
    if (session.fileTransferCount) event.file_transfer_count = session.fileTransferCount;
    if (session.fileMoveCount) event.file_move_count = session.fileMoveCount;
    if (session.fileDeleteCount) event.file_delete_count = session.fileDeleteCount;
    this.out.push({ kind: 'event', lsid: session.lsid, index: session.eventCount++, event });
  }
}
