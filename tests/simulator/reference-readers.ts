/**
 * Deliberately plain readers of the simulator's AccessSession, Vault, Team and Syslog replies,
 * written from the intake contracts for these tests only. The ground-truth functions are checked against them: the
 * simulator's rendering and its statement of the expected events must tell the same story.
 */
import { SaxesParser } from 'saxes';

import type { TeamIntakeEvent, VaultIntakeEvent } from '../../simulator/expected-events';
import type { SessionIntakeEvent, SessionIntakeParty } from '../../simulator/expected-session-events';
import type { ArchiveEntry } from './pra-http';

interface Element {
  name: string;
  attributes: Record<string, string>;
  children: Element[];
  text: string;
}

/** The whole document as a tree, names without prefix. */
function parseXml(xml: string): Element {
  const parser = new SaxesParser({ xmlns: false });
  const root: Element = { name: '#document', attributes: {}, children: [], text: '' };
  const stack = [root];
  parser.on('opentag', (tag) => {
    const element: Element = {
      name: tag.name.replace(/^[^:]*:/, ''),
      attributes: Object.fromEntries(Object.entries(tag.attributes).filter(([k]) => !k.startsWith('xmlns'))),
      children: [],
      text: '',
    };
    stack[stack.length - 1].children.push(element);
    stack.push(element);
  });
  parser.on('text', (text) => {
    stack[stack.length - 1].text += text;
  });
  parser.on('closetag', () => stack.pop());
  parser.write(xml).close();
  return root.children[0];
}

const child = (e: Element, name: string): Element | undefined => e.children.find((c) => c.name === name);
const children = (e: Element, name: string): Element[] => e.children.filter((c) => c.name === name);

/** Keeps `value` under `key` when it is not empty, as the contract wants every key. */
function put<T extends object>(target: T, key: keyof T, value: string | object | undefined): void {
  const empty =
    value === undefined || value === '' || (typeof value === 'object' && Object.keys(value).length === 0);
  if (!empty) Object.assign(target, { [key]: value });
}

/** One event per `session_details/event`, read the way event-contract.md describes it. */
export function sessionEventsFromXml(xml: string): SessionIntakeEvent[] {
  return children(parseXml(xml), 'session').flatMap((session) => {
    const fields = new Map<string, SessionIntakeParty>();
    const participants = [
      ...children(child(session, 'customer_list') ?? session, 'customer'),
      ...children(child(session, 'rep_list') ?? session, 'representative'),
    ];
    for (const p of participants) {
      const gsnumber = p.attributes.gsnumber;
      if (!gsnumber) continue;
      const known = fields.get(gsnumber) ?? {};
      for (const name of ['private_ip', 'public_ip', 'hostname', 'os'] as const) {
        const text = child(p, name)?.text;
        if (text !== undefined && text !== '' && text !== 'Unknown') known[name] = text;
      }
      fields.set(gsnumber, known);
    }
    const party = (e: Element | undefined, withFields: boolean): SessionIntakeParty | undefined => {
      if (!e) return undefined;
      const out: SessionIntakeParty = {};
      put(out, 'type', e.attributes.type);
      put(out, 'name', e.text);
      put(out, 'gsnumber', e.attributes.gsnumber);
      const known = withFields && e.attributes.gsnumber ? fields.get(e.attributes.gsnumber) : undefined;
      for (const name of ['private_ip', 'public_ip', 'hostname', 'os'] as const)
        put(out, name, known?.[name]);
      return out;
    };
    const jumpGroup = child(session, 'jump_group');
    const jump: NonNullable<SessionIntakeEvent['jump_group']> = {};
    put(jump, 'name', jumpGroup?.text);
    put(jump, 'type', jumpGroup?.attributes.type);
    return children(child(session, 'session_details') ?? session, 'event').map((e) => {
      const event = {} as SessionIntakeEvent;
      put(event, 'timestamp', e.attributes.timestamp);
      put(event, 'event_type', e.attributes.event_type);
      put(event, 'performed_by', party(child(e, 'performed_by'), true));
      const data: Record<string, string> = {};
      for (const v of children(child(e, 'data') ?? e, 'value')) {
        if (!v.attributes.name) continue;
        Object.defineProperty(data, v.attributes.name, {
          value: v.attributes.value ?? '',
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      put(event, 'data', data);
      put(event, 'destination', party(child(e, 'destination'), false));
      const encoded = child(e, 'encoded_body')?.text;
      put(event, 'body', encoded ? Buffer.from(encoded, 'base64').toString('utf8') : child(e, 'body')?.text);
      put(event, 'session_id', session.attributes.lsid);
      put(event, 'jump_group', jump);
      put(event, 'primary_customer', party(child(session, 'primary_customer'), true));
      put(event, 'primary_rep', party(child(session, 'primary_rep'), true));
      for (const name of ['file_transfer_count', 'file_move_count', 'file_delete_count'] as const) {
        put(event, name, child(session, name)?.text);
      }
      return event;
    });
  });
}

export function vaultEventsFromXml(xml: string): VaultIntakeEvent[] {
  return children(parseXml(xml), 'vault_account_activity').map((e) => {
    const event: VaultIntakeEvent = {
      timestamp: e.attributes.timestamp,
      account_id: e.attributes.account,
      event_type: e.attributes.event_type,
    };
    const by = child(e, 'performed_by');
    if (by) event.performed_by = { ...by.attributes, ...(by.text !== '' && { name: by.text }) };
    const data = child(e, 'data');
    if (data) event.data = data.text === '' ? null : data.text;
    return event;
  });
}

export function teamEventsFromXml(xml: string): TeamIntakeEvent[] {
  return children(parseXml(xml), 'team_activity').flatMap((team) =>
    children(child(team, 'events') ?? team, 'event').map((e) => {
      const by = child(e, 'performed_by');
      const values = children(child(e, 'data') ?? e, 'value');
      return {
        timestamp: e.attributes.timestamp,
        event_type: e.attributes.event_type,
        team: { id: team.attributes.id, name: team.attributes.name },
        performed_by: by ? { ...by.attributes, name: by.text } : {},
        data: Object.fromEntries(values.map((v) => [v.attributes.name, v.attributes.value])),
      };
    }),
  );
}

/** `Dec  1 08:50:51 host BG[pid]: site:NN:TT:` (pid and the space optional), then the payload bytes. */
const HEADER = /^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) BG(?:\[(\d+)\])?:( ?)(\d+):(\d+):(\d+):/;

/** One `BG` line of a Syslog member. */
export interface SyslogLine {
  /** The number in `BG[pid]`; undefined for the older `BG:` tag. */
  pid?: number;
  /** Whether a space follows the tag's colon. */
  space: boolean;
  site: number;
  segment: number;
  total: number;
  payload: Buffer;
}

/**
 * The newline-terminated lines of a member, parsed on bytes (a segment may end inside a UTF-8
 * character); what follows the last newline is not a line yet.
 */
export function syslogLines(member: ArchiveEntry): SyslogLine[] {
  const lines: SyslogLine[] = [];
  let start = 0;
  for (let end = member.content.indexOf(0x0a); end >= 0; end = member.content.indexOf(0x0a, start)) {
    const line = member.content.subarray(start, end);
    // latin1 maps bytes one to one, so the header's length in characters is its length in bytes.
    const m = HEADER.exec(line.toString('latin1'));
    if (!m) throw new Error(`not a BG line: ${line.toString('utf8')}`);
    lines.push({
      pid: m[3] === undefined ? undefined : Number(m[3]),
      space: m[4] === ' ',
      site: Number(m[5]),
      segment: Number(m[6]),
      total: Number(m[7]),
      payload: line.subarray(m[0].length),
    });
    start = end + 1;
  }
  return lines;
}

/**
 * Reassembles records from the archive's members, oldest file first: segments joined as bytes per
 * pid; a new `01` flushes what its pid left unfinished, as received; what is unfinished at the end
 * is not a record yet.
 */
export function syslogPayloadsFromArchive(members: readonly ArchiveEntry[]): string[] {
  const age = (name: string): number => Number(/\.(\d+)(?:\.gz)?$/.exec(name)?.[1] ?? 0);
  const oldestFirst = [...members].sort((a, b) => age(b.name) - age(a.name));
  const unfinished = new Map<number | undefined, Buffer[]>();
  const payloads: string[] = [];
  for (const member of oldestFirst) {
    for (const { pid, segment, total, payload } of syslogLines(member)) {
      const parts = unfinished.get(pid);
      if (segment === 1 && parts) payloads.push(Buffer.concat(parts).toString('utf8'));
      const joined = segment === 1 ? [payload] : [...(parts ?? []), payload];
      unfinished.delete(pid);
      if (segment === total) payloads.push(Buffer.concat(joined).toString('utf8'));
      else unfinished.set(pid, joined);
    }
  }
  return payloads;
}
