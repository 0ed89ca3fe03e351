/**
 * Payloads of BG's syslog messages: `key=value;key=value...`, where `=`, `;` and `\` inside a value are
 * escaped by a backslash, and `when` is the event time in unix seconds. Generated payloads carry
 * non-ASCII and escaped characters, and some are long enough to be split into segments.
 */
import type { Rng } from './data';

export type SyslogFields = Array<[string, string]>;

function escapeSyslogValue(value: string): string {
  return value.replace(/[\\;=]/g, (c) => `\\${c}`);
}

export function formatSyslogPayload(fields: SyslogFields): string {
  return fields.map(([key, value]) => `${key}=${escapeSyslogValue(value)}`).join(';');
}

/** The `when` field of a payload, unescaped fields read one character at a time. */
export function whenOf(payload: string): number | undefined {
  let key = '';
  let value = '';
  let inValue = false;
  for (let i = 0; i <= payload.length; i++) {
    const c = payload[i];
    if (c === undefined || c === ';') {
      if (key === 'when' && /^\d+$/.test(value)) return Number(value);
      [key, value, inValue] = ['', '', false];
    } else if (c === '\\') {
      value += payload[++i] ?? '';
    } else if (c === '=' && !inValue) {
      inValue = true;
    } else if (inValue) {
      value += c;
    } else {
      key += c;
    }
  }
  return undefined;
}

const WHO = [
  'Alice Martin (amartin)',
  'Jérôme Dupont (jdupont)',
  '田中 太郎 (ttanaka)',
  "Seán O'Brien (sobrien)",
];

/** A banner text long enough to need several segments, full of characters that must be escaped. */
function banner(seq: number, length: number): string {
  const sentence = `Accès réservé; usage=audité \\ journalisé — 日本 <${seq}> `;
  return sentence.repeat(Math.ceil(length / sentence.length)).slice(0, length);
}

export class SyslogPayloads {
  private seq = 0;

  constructor(
    private readonly rng: Rng,
    private readonly site: string,
  ) {}

  /** What PRA logs for every OAuth token it issues; two in one second are identical. */
  token(when: number, clientId: string): SyslogFields {
    return [
      ['event', 'token'],
      ['site', this.site],
      ['when', String(when)],
      ['who', `${clientId} (API account)`],
      ['who_ip', '127.0.0.1'],
    ];
  }

  /** What PRA logs for every Syslog report it serves. */
  reportGenerated(when: number): SyslogFields {
    return [
      ['event', 'syslog_report_generated'],
      ['site', this.site],
      ['when', String(when)],
      ['who_ip', '127.0.0.1'],
    ];
  }

  /** A setting change whose old and new values make the payload about `bytes` long or more. */
  longSettingChange(when: number, bytes: number): SyslogFields {
    const seq = ++this.seq;
    return [
      ['site', this.site],
      ['when', String(when)],
      ['who', this.rng.pick(WHO)],
      ['who_ip', `192.0.2.${this.rng.int(1, 254)}`],
      ['event', 'setting_changed'],
      ['old_login_banner', banner(seq, Math.ceil(bytes / 3))],
      ['new_login_banner', banner(seq + 1, Math.ceil(bytes / 3))],
    ];
  }

  /** A heartbeat between appliances: a record without `when`. */
  heartbeat(): SyslogFields {
    return [
      ['event', 'failover_heartbeat'],
      ['site', this.site],
      ['peer', 'backup-appliance.example.com'],
      ['status', 'ok'],
    ];
  }

  /** One of the everyday events; one in ten is long. */
  random(when: number): SyslogFields {
    if (this.rng.chance(0.1)) return this.longSettingChange(when, 2500);
    const seq = ++this.seq;
    const common: SyslogFields = [
      ['site', this.site],
      ['when', String(when)],
      ['who', this.rng.pick(WHO)],
      ['who_ip', `198.51.100.${this.rng.int(1, 254)}`],
    ];
    return this.rng.pick<() => SyslogFields>([
      () => [...common, ['event', 'login'], ['status', 'success'], ['interface', '/login']],
      () => [...common, ['event', 'logout']],
      () => [...common, ['event', 'setting_changed'], [`old_api_${seq}`, '0'], [`new_api_${seq}`, '1']],
      () => this.jumpItemAdded(when),
    ])();
  }

  /** A short record with a non-ASCII value that needs escaping. */
  jumpItemAdded(when: number): SyslogFields {
    return [
      ['site', this.site],
      ['when', String(when)],
      ['who', 'Jérôme Dupont (jdupont)'],
      ['who_ip', '192.0.2.7'],
      ['event', 'jump_item_added'],
      ['name', `srv-fichiers-é${++this.seq}; a=b \\ c`],
    ];
  }
}
