/**
 * Streaming parser for the PRA reporting API's Team report: one event per
 * `team_activity/events/event`, in the shape Sekoia's "BeyondTrust PRA Team" intake reads. The
 * `logged_in_representatives` of each team and the `<start_time>`/`<end_time>` the report echoes
 * are not events.
 */
import { addDataValue } from '../../xml/data-values';
import { IncrementalXmlParser, MAX_DEPTH, streamXml } from '../../xml/reader';
import { PraReportSink } from '../../xml/report-sink';
import { TextCapture } from '../../xml/text-capture';

/** The `team_activity` an event was reported under: its `id` and `name` attributes. */
export interface TeamRef {
  id?: string;
  name?: string;
}

/** Who acted: `performed_by`'s `type` attribute, its text, and its `gsnumber` attribute. */
export interface TeamActor {
  type?: string;
  name?: string;
  gsnumber?: string;
}

/**
 * One event of a team. Every value is a string exactly as in the XML (entities and CDATA decoded,
 * no trimming). `timestamp` and `event_type` are absent when their attribute is absent or empty;
 * `team`, `performed_by` and `data` are always there, `{}` when there is nothing to put in them,
 * and leave out what is absent or empty. `data` keeps PRA's "Unknown" values as they are.
 */
export interface TeamEvent {
  timestamp?: string;
  /** Shared, frozen, by the events of one `team_activity`. */
  team: Readonly<TeamRef>;
  performed_by: TeamActor;
  event_type?: string;
  data: Record<string, string>;
}

/**
 * Streams a Team report into its events, in document order, each as soon as its element has
 * closed. An event listed under two teams comes out twice, once with each team. The no-data
 * `<error>` (English or French) yields nothing; any other `<error>`, at any depth, throws
 * an 'api' PraError with its text. A root other than `<team_activity_list>`, malformed XML, a
 * DOCTYPE or a limit of the XML reader exceeded throws a 'parse' PraError.
 */
export function parseTeamReport(input: AsyncIterable<Buffer | string>): AsyncIterable<TeamEvent> {
  return streamXml(input, new TeamActivitySink());
}

/** The same parser, fed synchronously chunk by chunk (for a parse off the main thread). */
export function createTeamParser(): IncrementalXmlParser<TeamEvent> {
  return new IncrementalXmlParser(new TeamActivitySink());
}

/** What an open element is; an element's meaning follows from its name and its parent's. */
const enum Meaning {
  Ignored,
  Document,
  List,
  Team,
  Events,
  Event,
  PerformedBy,
  Data,
}

/** An `event` as read, before its keys are put in the intake's order. */
interface RawEvent {
  timestamp: string | undefined;
  eventType: string | undefined;
  actorType: string | undefined;
  actorName: string | undefined;
  actorGsnumber: string | undefined;
  data: Record<string, string> | undefined;
}

class TeamActivitySink extends PraReportSink<TeamEvent> {
  private readonly meaning = new Uint8Array(MAX_DEPTH + 1);
  private team: Readonly<TeamRef> = {};
  private event: RawEvent | undefined;
  private readonly captured = new TextCapture();

  constructor() {
    super('team_activity_list');
    this.meaning[0] = Meaning.Document;
  }

  protected open(name: string, attributes: Readonly<Record<string, string>>, depth: number): void {
    let meaning = Meaning.Ignored;
    switch (this.meaning[depth - 1]) {
      case Meaning.Document:
        meaning = Meaning.List;
        break;
      case Meaning.List:
        if (name === 'team_activity') {
          this.team = teamOf(attributes);
          meaning = Meaning.Team;
        }
        break;
      case Meaning.Team:
        if (name === 'events') meaning = Meaning.Events;
        break;
      case Meaning.Events:
        if (name === 'event') {
          this.event = newEvent(attributes);
          meaning = Meaning.Event;
        }
        break;
      case Meaning.Event:
        meaning = this.openEventChild(this.event!, name, attributes, depth);
        break;
      case Meaning.Data:
        if (name === 'value') this.event!.data = addDataValue(this.event!.data, attributes);
        break;
      case Meaning.PerformedBy:
        this.captured.childOpened();
        break;
    }
    this.meaning[depth] = meaning;
  }

  private openEventChild(
    event: RawEvent,
    name: string,
    attributes: Readonly<Record<string, string>>,
    depth: number,
  ): Meaning {
    if (name === 'data') return Meaning.Data;
    if (name !== 'performed_by') return Meaning.Ignored;
    event.actorType = attributes.type;
    event.actorName = undefined;
    event.actorGsnumber = attributes.gsnumber;
    this.captured.start(depth);
    return Meaning.PerformedBy;
  }

  protected text(text: string, depth: number): void {
    this.captured.characters(text, depth);
  }

  protected close(_name: string, depth: number): void {
    switch (this.meaning[depth]) {
      case Meaning.PerformedBy:
        this.event!.actorName = this.captured.finish();
        break;
      case Meaning.Event:
        this.out.push(toEvent(this.event!, this.team));
        this.event = undefined;
        break;
    }
  }
}

function teamOf(attributes: Readonly<Record<string, string>>): Readonly<TeamRef> {
  const team: TeamRef = {};
  if (attributes.id) team.id = attributes.id;
  if (attributes.name) team.name = attributes.name;
  return Object.freeze(team);
}

function newEvent(attributes: Readonly<Record<string, string>>): RawEvent {
  return {
    timestamp: attributes.timestamp,
    eventType: attributes.event_type,
    actorType: undefined,
    actorName: undefined,
    actorGsnumber: undefined,
    data: undefined,
  };
}

/** Built key by key in the intake's order, so that JSON.stringify gives its exact text. */
function toEvent(raw: RawEvent, team: Readonly<TeamRef>): TeamEvent {
  const event = {} as TeamEvent;
  if (raw.timestamp) event.timestamp = raw.timestamp;
  event.team = team;
  const actor: TeamActor = {};
  if (raw.actorType) actor.type = raw.actorType;
  if (raw.actorName) actor.name = raw.actorName;
  if (raw.actorGsnumber) actor.gsnumber = raw.actorGsnumber;
  event.performed_by = actor;
  if (raw.eventType) event.event_type = raw.eventType;
  event.data = raw.data ?? {};
  return event;
}
