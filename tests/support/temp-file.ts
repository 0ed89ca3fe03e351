import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A temporary file holding `content`, removed by the returned function. */
export function tempFile(name: string, content: string): { path: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-test-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return { path: file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
