import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StateFileError } from './errors';

/**
 * A JSON checkpoint file readable by the Python SDK's PersistentJSON (a plain compact JSON document, usually
 * `context.json`). Unlike the SDK, writes are atomic: a crash mid-write leaves the previous content intact.
 */
export interface JsonStateFileOptions {
  /** A file larger than this is refused unread (StateFileError): parsing it could take the heap. */
  maxBytes?: number;
}

export class JsonStateFile<T> {
  readonly path: string;
  private readonly maxBytes: number;

  constructor(filePath: string, options: JsonStateFileOptions = {}) {
    this.path = path.resolve(filePath);
    this.maxBytes = options.maxBytes ?? Infinity;
  }

  read(): T | undefined {
    const text = this.readText();
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      // The content itself is never echoed: it may hold cursors or identifiers that do not belong in logs.
      throw new StateFileError(this.path, 'is not valid JSON');
    }
  }

  /**
   * The file's text, undefined when there is none. Only a regular file is read: opened non-blocking
   * and checked first, so a FIFO or a device left at this path fails at once instead of blocking
   * the process (and its SIGTERM handling) in a read that never returns.
   */
  private readText(): string | undefined {
    let fd: number;
    try {
      fd = fs.openSync(this.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw new StateFileError(this.path, `cannot be read (${code ?? 'unknown error'})`);
    }
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) {
        throw new StateFileError(
          this.path,
          `is not a regular file (${stat.isDirectory() ? 'a directory' : 'a special file'})`,
        );
      }
      if (stat.size > this.maxBytes) {
        throw new StateFileError(this.path, `is larger than ${this.maxBytes} bytes (${stat.size})`);
      }
      return fs.readFileSync(fd, 'utf8');
    } catch (error) {
      if (error instanceof StateFileError) throw error;
      throw new StateFileError(
        this.path,
        `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
      );
    } finally {
      fs.closeSync(fd);
    }
  }

  write(value: T): void {
    this.writeText(JSON.stringify(value));
  }

  /** Writes `text`, the JSON of a state serialised by the caller (masked, for example), atomically. */
  writeText(text: string): void {
    const dir = path.dirname(this.path);
    const temp = path.join(
      dir,
      `.${path.basename(this.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      fs.mkdirSync(dir, { recursive: true });
      const fd = fs.openSync(temp, 'wx', 0o600);
      try {
        fs.writeFileSync(fd, text);
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
