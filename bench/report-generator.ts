/**
 * Writes a realistic AccessSession report of a given size straight to disk, one session at a time,
 * so that even a 300 MB report never sits in memory. Deterministic: the same size gives the same file.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface GeneratedReport {
  bytes: number;
  sessions: number;
  events: number;
}

/** Mulberry32: small, fast and reproducible; the numbers only need to look varied. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHAT_LINES = [
  'Starting maintenance &lt;CHG-42&gt;',
  'Rebooting db-prod-02 in 5 minutes, please save your work',
  'Mise à jour terminée, redémarrage du service « postgres »',
  'Backup verified: 1.2 TB &amp; checksums OK',
  'Patch KB5034441 applied — no errors',
];
const EXES = ['explorer.exe', 'mmc.exe', 'powershell.exe', 'cmd.exe', 'services.exe'];
const COMMANDS = [
  'sudo systemctl restart postgresql',
  'tail -n 200 /var/log/syslog | grep -i error',
  'Get-Service | Where-Object {$_.Status -eq &quot;Stopped&quot;}',
  'df -h &amp;&amp; free -m',
];

/** Generates one session's XML; ~50 to 500 events drawn from every kind PRA sends. */
function session(rand: () => number, n: number): { xml: string; events: number } {
  const lsid = (0x10000000 + n).toString(16).padStart(32, 'a');
  const start = 1764000000 + n * 97;
  const eventCount = 50 + Math.floor(rand() * 451);
  const host = `srv-${n % 977}.corp.example.net`;
  const rep = `Operator ${n % 53}`;
  const parts: string[] = [
    ` <session lsid="${lsid}">\n`,
    `  <session_type>support</session_type>\n  <lseq>${n}</lseq>\n`,
    `  <start_time timestamp="${start}">2025-11-24T16:00:00+00:00</start_time>\n`,
    `  <end_time timestamp="${start + eventCount * 3}">2025-11-24T17:00:00+00:00</end_time>\n`,
    `  <duration>00:15:02</duration>\n  <external_key></external_key>\n`,
    `  <custom_attributes><custom_attribute display_name="Ticket" code_name="ticket">CHG-${n}</custom_attribute></custom_attributes>\n`,
    `  <jump_group type="shared" id="${n % 7}">DBA &amp; Ops ${n % 7}</jump_group>\n`,
    `  <session_chat_view_url>https://pra.example.net/session_download.ns?lsid=${lsid}&amp;view=1</session_chat_view_url>\n`,
    `  <file_transfer_count>${n % 5}</file_transfer_count>\n  <file_move_count>0</file_move_count>\n  <file_delete_count>${n % 2}</file_delete_count>\n`,
    `  <primary_customer gsnumber="2">${host}</primary_customer>\n`,
    `  <primary_rep gsnumber="1" id="${n % 53}">${rep}</primary_rep>\n`,
    `  <customer_list><customer gsnumber="2"><username>${host}</username>`,
    `<public_ip>198.51.100.${n % 250}:50112</public_ip><private_ip>10.1.${n % 250}.3</private_ip>`,
    `<hostname>${host}</hostname><os>Ubuntu 24.04</os></customer></customer_list>\n`,
    `  <rep_list><representative gsnumber="1" id="${n % 53}"><username>op${n % 53}</username>`,
    `<display_name>${rep}</display_name><public_ip>[2001:db8::${n % 99}]:40001</public_ip>`,
    `<private_ip>Unknown</private_ip><os>Windows 11</os><session_owner>1</session_owner>`,
    `<seconds_involved>902</seconds_involved></representative></rep_list>\n`,
    '  <session_details>\n',
  ];
  const customer = `<performed_by type="customer" gsnumber="2">${host}</performed_by>`;
  const representative = `<performed_by type="representative" gsnumber="1">${rep}</performed_by>`;
  const system = '<performed_by type="system" gsnumber="0">Privileged Remote Access</performed_by>';
  const toCustomer = `<destination type="customer" gsnumber="2">${host}</destination>`;
  const toRep = `<destination type="representative" gsnumber="1">${rep}</destination>`;
  for (let i = 0; i < eventCount; i++) {
    const at = `timestamp="${start + i * 3}"`;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
    let body: string;
    if (i === 0) {
      body = `<event ${at} event_type="Session Start"></event>`;
    } else if (i === eventCount - 1) {
      body = `<event ${at} event_type="Session End"></event>`;
    } else {
      switch (Math.floor(rand() * 10)) {
        case 0:
          body = `<event ${at} event_type="Conference Member Added">${representative}<data><value name="private_name" value="${rep}" /><value name="username" value="op${n % 53}" /><value name="public_ip" value="[2001:db8::5]:40001" /><value name="os" value="Windows 11" /><value name="user_id" value="${n % 53}" /></data></event>`;
          break;
        case 1:
          body = `<event ${at} event_type="Chat Message">${system}<destination type="everyone" gsnumber="0">Everyone</destination><body>${pick(CHAT_LINES)}</body></event>`;
          break;
        case 2:
          body = `<event ${at} event_type="Chat Message">${representative}<destination type="everyone" gsnumber="0">Everyone</destination><body>bell</body><encoded_body>YmVsbAc=</encoded_body></event>`;
          break;
        case 3:
          body = `<event ${at} event_type="File Download">${customer}${toRep}<data><value name="filename" value="/var/log/app-${i}.log" /><value name="filesize" value="${Math.floor(rand() * 1e7)}" /></data></event>`;
          break;
        case 4:
          body = `<event ${at} event_type="File Upload">${representative}${toCustomer}<data><value name="filename" value="C:\\Temp\\patch-${i}.msi" /><value name="filesize" value="48213" /></data></event>`;
          break;
        case 5:
          body = `<event ${at} event_type="Session Foreground Window Changed">${system}<data><value name="exeName" value="${pick(EXES)}" /><value name="windowName" value="Services (Local)" /></data></event>`;
          break;
        case 6:
          body = `<event ${at} event_type="Remote Shell Event">${system}<data><value name="text" value="${pick(COMMANDS)}" /></data></event>`;
          break;
        case 7:
          body = `<event ${at} event_type="Conference Member State Changed">${customer}<data><value name="state" value="connected" /></data></event>`;
          break;
        case 8:
          body = `<event ${at} event_type="Session Mouse Left Clicked">${system}<data><value name="exeName" value="mmc.exe" /><value name="windowName" value="Computer Management" /><value name="targetName" value="Disk Management" /><value name="targetType" value="list item" /></data></event>`;
          break;
        default:
          body = `<event ${at} event_type="File Transfer Complete">${customer}${toRep}<data><value name="filename" value="dump-${i}.sql.gz" /><value name="sha256" value="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" /></data></event>`;
      }
    }
    parts.push('   ', body, '\n');
  }
  parts.push('  </session_details>\n </session>\n');
  return { xml: parts.join(''), events: eventCount };
}

/** Writes sessions until the file holds at least `minBytes`, honouring the stream's backpressure. */
export async function generateReport(path: string, minBytes: number): Promise<GeneratedReport> {
  const out = createWriteStream(path);
  const rand = random(42);
  const write = async (text: string): Promise<number> => {
    if (!out.write(text)) await once(out, 'drain');
    return Buffer.byteLength(text);
  };
  let bytes = await write(
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<session_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting" ' +
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n',
  );
  let sessions = 0;
  let events = 0;
  while (bytes < minBytes) {
    const generated = session(rand, sessions++);
    events += generated.events;
    bytes += await write(generated.xml);
  }
  bytes += await write('</session_list>\n');
  out.end();
  await once(out, 'finish');
  return { bytes, sessions, events };
}
