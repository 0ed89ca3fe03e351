import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StateFileError } from './errors';

/**
 * A JSON checkpoint file readable by the Python SDK's PersistentJSON (a plain compact JSON document, usually
 * `context.json`). Unlike the SDK, writes are atomic: a crash mid-write leaves the previous content intact.
 */
export class JsonStateFile<T> {
  readonly path: string;

  constructor(filePath: string) {
    this.path = path.resolve(filePath);
  }

  read(): T | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw new StateFileError(this.path, `cannot be read (${code ?? 'unknown error'})`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      // The content itself is never echoed: it may hold cursors or identifiers that do not belong in logs.
      throw new StateFileError(this.path, 'is not valid JSON');
    }
  }

  write(value: T): void {
    const dir = path.dirname(this.path);
    const temp = path.join(
      dir,
      `.${path.basename(this.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      fs.mkdirSync(dir, { recursive: true });
      const fd = fs.openSync(temp, 'wx', 0o600);
      try {
        fs.writeFileSync(fd, JSON.stringify(value));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temp, this.path);
    } catch (error) {
      fs.rmSync(temp, { force: true });
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new StateFileError(this.path, `cannot be written (${code})`);
    }
    syncDirectory(dir);
  }
}

/** Makes the rename durable. Some filesystems refuse fsync on a directory; the rename is then as durable as it gets. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // See the function comment: best effort by design.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
