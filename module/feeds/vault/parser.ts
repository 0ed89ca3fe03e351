/**
 * Streaming parser for the PRA reporting API's VaultAccountActivity report: one event per
 * `<vault_account_activity>`, in the shape Sekoia's "BeyondTrust PRA Vault Account Activity" intake
 * reads. The `<start_time>`/`<end_time>` the report echoes are not events.
 */
import { IncrementalXmlParser, streamXml } from '../../xml/reader';
import { PraReportSink } from '../../xml/report-sink';
import { TextCapture } from '../../xml/text-capture';

/** Who acted: `performed_by`'s `id` and `type` attributes and its text. */
export interface VaultActor {
  id?: string;
  type?: string;
  name?: string;
}

/**
 * One vault account activity record. Every value is a string exactly as in the XML (entities and
 * CDATA decoded, no trimming); a key is absent when its attribute or element is absent or empty,
 * except `data`, which is null when `<data>` is empty: the shape the intake's own tests show.
 * `performed_by` is present, possibly `{}`, whenever the element is.
 */
export interface VaultEvent {
  timestamp?: string;
  event_type?: string;
  account_id?: string;
  performed_by?: VaultActor;
  data?: string | null;
}

/**
 * Streams a VaultAccountActivity report into its events, in document order, each as soon as its
 * element has closed. The no-data `<error>` (English or French) yields nothing; any other `<error>`,
 * at any depth, throws an 'api' PraError with its text. A root other than `<vault_account_activity_list>`,
 * malformed XML, a DOCTYPE or a limit of the XML reader exceeded throws a 'parse' PraError.
 */
export function parseVaultReport(input: AsyncIterable<Buffer | string>): AsyncIterable<VaultEvent> {
  return streamXml(input, new VaultActivitySink());
}

/** The same parser, fed synchronously chunk by chunk (for a parse off the main thread). */
export function createVaultParser(): IncrementalXmlParser<VaultEvent> {
  return new IncrementalXmlParser(new VaultActivitySink());
}

/** A `vault_account_activity` as read, before its keys are put in the intake's order. */
interface RawActivity {
  timestamp: string | undefined;
  eventType: string | undefined;
  account: string | undefined;
  performedBy: VaultActor | undefined;
  /** The text of `<data>`; undefined when there is no `<data>` element. */
  data: string | undefined;
}

/** The child of `vault_account_activity` whose text is being read. */
const enum Field {
  None,
  PerformedBy,
  Data,
}

// Depths in the document: the list is the root, its activities are its children.
const ACTIVITY_DEPTH = 2;
const FIELD_DEPTH = 3;

class VaultActivitySink extends PraReportSink<VaultEvent> {
  private activity: RawActivity | undefined;
  private field = Field.None;
  private readonly captured = new TextCapture();

  constructor() {
    super('vault_account_activity_list');
  }

  protected open(name: string, attributes: Readonly<Record<string, string>>, depth: number): void {
    if (depth === ACTIVITY_DEPTH) {
      if (name === 'vault_account_activity') this.activity = newActivity(attributes);
    } else if (depth === FIELD_DEPTH && this.activity !== undefined) {
      this.openField(this.activity, name, attributes);
    } else if (depth === FIELD_DEPTH + 1 && this.field !== Field.None) {
      this.captured.childOpened();
    }
  }

  private openField(activity: RawActivity, name: string, attributes: Readonly<Record<string, string>>): void {
    if (name === 'performed_by') {
      const actor: VaultActor = {};
      if (attributes.id) actor.id = attributes.id;
      if (attributes.type) actor.type = attributes.type;
      activity.performedBy = actor;
      this.field = Field.PerformedBy;
    } else if (name === 'data') {
      this.field = Field.Data;
    } else {
      return;
    }
    this.captured.start(FIELD_DEPTH);
  }

  protected text(text: string, depth: number): void {
    this.captured.characters(text, depth);
  }

  protected close(_name: string, depth: number): void {
    if (depth === FIELD_DEPTH && this.field !== Field.None) {
      this.closeField(this.activity!);
    } else if (depth === ACTIVITY_DEPTH && this.activity !== undefined) {
      this.out.push(toEvent(this.activity));
      this.activity = undefined;
    }
  }

  private closeField(activity: RawActivity): void {
    const text = this.captured.finish();
    if (this.field === Field.Data) activity.data = text;
    else if (text) activity.performedBy!.name = text;
    this.field = Field.None;
  }
}

function newActivity(attributes: Readonly<Record<string, string>>): RawActivity {
  return {
    timestamp: attributes.timestamp,
    eventType: attributes.event_type,
    account: attributes.account,
    performedBy: undefined,
    data: undefined,
  };
}

/** Built key by key in the intake's order, so that JSON.stringify gives its exact text. */
function toEvent(activity: RawActivity): VaultEvent {
  const event: VaultEvent = {};
  if (activity.timestamp) event.timestamp = activity.timestamp;
  if (activity.eventType) event.event_type = activity.eventType;
  if (activity.account) event.account_id = activity.account;
  if (activity.performedBy !== undefined) event.performed_by = activity.performedBy;
  if (activity.data !== undefined) event.data = activity.data === '' ? null : activity.data;
  return event;
}
