/**
 * Deliberately plain readers of the simulator's Vault, Team and Syslog replies, written from the
 * intake contract for these tests only. The ground-truth functions are checked against them: the
 * simulator's rendering and its statement of the expected events must tell the same story.
 */
import { SaxesParser } from 'saxes';

import type { TeamIntakeEvent, VaultIntakeEvent } from '../../simulator/expected-events';
import type { ZipMember } from './pra-http';

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

const HEADER = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ (BG(?:\[\d+\])?): ?\d+:(\d+):(\d+):/;

/**
 * Reassembles records from the archive's members, oldest file first: segments joined as bytes per
 * pid; a new `01` flushes what its pid left unfinished, as received; what is unfinished at the end
 * is not a record yet.
 */
export function syslogPayloadsFromArchive(members: readonly ZipMember[]): string[] {
  const age = (name: string): number => Number(/\.(\d+)(?:\.gz)?$/.exec(name)?.[1] ?? 0);
  const oldestFirst = [...members].sort((a, b) => age(b.name) - age(a.name));
  const unfinished = new Map<string, Buffer[]>();
  const payloads: string[] = [];
  for (const member of oldestFirst) {
    for (const line of member.content.toString('latin1').split('\n').slice(0, -1)) {
      const m = HEADER.exec(line);
      if (!m) throw new Error(`not a BG line: ${line}`);
      const [segment, total] = [Number(m[2]), Number(m[3])];
      const bytes = Buffer.from(line.slice(m[0].length), 'latin1');
      const parts = unfinished.get(m[1]);
      if (segment === 1 && parts) payloads.push(Buffer.concat(parts).toString('utf8'));
      const joined = segment === 1 ? [bytes] : [...(parts ?? []), bytes];
      unfinished.delete(m[1]);
      if (segment === total) payloads.push(Buffer.concat(joined).toString('utf8'));
      else unfinished.set(m[1], joined);
    }
  }
  return payloads;
}
