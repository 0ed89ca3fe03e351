import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipBytes, type ZipMember } from './zip-archive';

/** A temporary directory, removed by `remove`. */
export class TempDir {
  readonly path = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-test-'));

  /** Writes `content` to `name` in the directory and returns its path. */
  write(name: string, content: Buffer | string): string {
    const file = path.join(this.path, name);
    fs.writeFileSync(file, content);
    return file;
  }

  /** Writes a ZIP archive of `members` to `name` in the directory and returns its path. */
  async writeZip(name: string, members: readonly ZipMember[]): Promise<string> {
    return this.write(name, await zipBytes(members));
  }

  remove(): void {
    fs.rmSync(this.path, { recursive: true, force: true });
  }
}

/** A temporary file holding `content`, removed by the returned function (with its directory). */
export function tempFile(name: string, content: string): { path: string; remove: () => void } {
  const dir = new TempDir();
  return { path: dir.write(name, content), remove: () => dir.remove() };
}
