/**
 * The appliance's syslog as the Syslog report sees it: records written by several BG processes, the
 * ones PRA writes about the API's own use (a token issued, a Syslog report served), and rotation. The
 * generated history holds every trap: segments of one record interleaved with another pid's line
 * or split by a rotation,
 * cuts mid-key and inside a UTF-8 character, identical records in one second, a record cut short by
 * a new `01` of its pid, records without `when`, the `BG:` tag without pid, no space after the tag,
 * and a record still incomplete at the end of the log.
 */
import { historyTimes } from './activity-window';
import type { Rng } from './data';
import type { AddSyslogRecordInput, SimSyslogOptions, SimSyslogRecord } from './feed-types';
import { archiveMembers, type ArchiveMember, type ArchiveNaming } from './syslog-archive';
import { LoggedRecord, splitAt, splitBySize, SyslogLog } from './syslog-log';
import { formatSyslogPayload, SyslogPayloads, whenOf } from './syslog-payload';

/** BG processes writing records; the first is the default of `addSyslogRecord`. */
const PIDS = [69065, 69071, 70112];
/** The web process, which logs tokens issued and reports served. */
const WEB_PID = 71003;
/** The process of the record left incomplete at the end of the generated history; nothing else uses it. */
const LAGGING_PID = 70230;

/** Steps of `openingStep`. */
const OPENING_STEPS = 6;

/** Long enough to need three segments of the default size. */
const LONG_PAYLOAD_BYTES = 2500;

export type SyslogSettings = Required<SimSyslogOptions>;

export function syslogSettings(options: SimSyslogOptions = {}): SyslogSettings {
  return {
    host: options.host ?? 'pra-appliance',
    siteId: options.siteId ?? 1427,
    fileName: options.fileName ?? 'syslog',
    rotatedNaming: options.rotatedNaming ?? 'gzip',
    keepRotated: options.keepRotated ?? 4,
    segmentBytes: options.segmentBytes ?? 1000,
    records: options.records ?? 24,
    rotations: options.rotations ?? 2,
  };
}

export class SyslogFeed {
  readonly log: SyslogLog;
  private readonly payloads: SyslogPayloads;
  private readonly naming: ArchiveNaming;

  constructor(
    private readonly rng: Rng,
    private readonly settings: SyslogSettings,
    /** The API account's client id, which token records name. */
    private readonly clientId: string,
    now: number,
    historySeconds: number,
  ) {
    this.log = new SyslogLog(settings.host, now - historySeconds);
    this.payloads = new SyslogPayloads(rng, settings.host);
    this.naming = { fileName: settings.fileName, rotatedNaming: settings.rotatedNaming };
    this.writeHistory(now, historySeconds);
  }

  add(input: AddSyslogRecordInput, at: number): LoggedRecord {
    const payload = input.payload ?? formatSyslogPayload(input.fields ?? this.payloads.random(at));
    const bytes = Buffer.from(payload, 'utf8');
    const segments = input.cutAt
      ? splitAt(bytes, input.cutAt)
      : splitBySize(bytes, input.segmentBytes ?? this.settings.segmentBytes);
    const record = new LoggedRecord(
      payload,
      segments,
      input.siteId ?? this.settings.siteId,
      input.pid === null ? undefined : (input.pid ?? PIDS[0]),
      input.noSpace ?? false,
      whenOf(payload),
    );
    this.log.add(record, input.write ?? segments.length, at);
    return record;
  }

  continue(record: SimSyslogRecord, segments: number | undefined, at: number): void {
    if (!(record instanceof LoggedRecord)) {
      throw new Error('PRA simulator: continueSyslogRecord takes a record that addSyslogRecord returned');
    }
    this.log.write(record, segments ?? record.segments.length, at);
  }

  rotate(at: number, keep = this.settings.keepRotated): void {
    this.log.rotate(at, keep);
  }

  logToken(at: number): void {
    this.add({ fields: this.payloads.token(at, this.clientId), pid: WEB_PID }, at);
  }

  logReportGenerated(at: number): void {
    this.add({ fields: this.payloads.reportGenerated(at), pid: WEB_PID }, at);
  }

  members(): ArchiveMember[] {
    return archiveMembers(this.log, this.naming);
  }

  /** About `records` records over the history, with `rotations` rotations spread among them. */
  private writeHistory(now: number, historySeconds: number): void {
    const { records, rotations } = this.settings;
    const times = historyTimes(this.rng, records, now, historySeconds);
    const rotateBefore = new Set(
      Array.from({ length: rotations }, (_, k) => Math.floor(((k + 1) * records) / (rotations + 1))),
    );
    times.forEach((at, i) => {
      if (rotateBefore.has(i)) this.rotateMidRecord(at);
      else if (i === records - 1 && i >= OPENING_STEPS) this.add(this.lagging(at), at);
      else if (!this.openingStep(i, at)) this.add({ pid: this.rng.pick(PIDS) }, at);
    });
  }

  /** Rotates between two segments of a record, which then straddles two members of the archive. */
  private rotateMidRecord(at: number): void {
    const straddling = this.add(
      { fields: this.payloads.longSettingChange(at, LONG_PAYLOAD_BYTES), pid: PIDS[2], write: 1 },
      at,
    );
    this.rotate(at);
    this.continue(straddling, undefined, at);
  }

  /** The traps every generated history opens with, one step each; false past the last one. */
  private openingStep(step: number, at: number): boolean {
    const [first, second, third] = PIDS;
    switch (step) {
      case 0: {
        const long = this.add(
          { fields: this.payloads.longSettingChange(at, LONG_PAYLOAD_BYTES), pid: first, write: 1 },
          at,
        );
        this.add({ pid: second }, at);
        this.continue(long, undefined, at);
        return true;
      }
      case 1:
        this.logToken(at);
        this.logToken(at);
        return true;
      case 2:
        this.add(
          { fields: this.payloads.longSettingChange(at, LONG_PAYLOAD_BYTES), pid: third, write: 1 },
          at,
        );
        this.add({ pid: third }, at);
        return true;
      case 3: {
        const payload = formatSyslogPayload(this.payloads.jumpItemAdded(at));
        const inKey = Buffer.byteLength(payload.slice(0, payload.indexOf('who_ip'))) + 3;
        const inCharacter = Buffer.byteLength(payload.slice(0, payload.indexOf('é'))) + 1;
        this.add({ payload, pid: second, cutAt: [inKey, inCharacter] }, at);
        return true;
      }
      case 4:
        this.add({ fields: this.payloads.heartbeat(), pid: null }, at);
        return true;
      case 5:
        this.add({ pid: first, noSpace: true }, at);
        return true;
      default:
        return false;
    }
  }

  /** The record left incomplete at the end of the history: its last segments come later. */
  private lagging(at: number): AddSyslogRecordInput {
    return { fields: this.payloads.longSettingChange(at, LONG_PAYLOAD_BYTES), pid: LAGGING_PID, write: 1 };
  }
}
