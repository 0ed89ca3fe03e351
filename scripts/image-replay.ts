/**
 * Replays the Dockerfile without a Docker engine: every instruction is read from the Dockerfile
 * itself and carried out into a directory per stage, so that a drift between the Dockerfile and what
 * is proven here breaks the replay instead of going unnoticed. `node dist/scripts/image-replay.js`
 * replays into a fresh temporary directory and prints each step; tests/process/image runs the result.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface DockerInstruction {
  /** 1-based line where the instruction starts. */
  line: number;
  keyword: string;
  args: string;
}

export interface Stage {
  name: string;
  /** Host directory standing for the stage's filesystem root. */
  root: string;
  /** Container path of the current WORKDIR. */
  workdir: string;
  env: Record<string, string>;
  user?: string;
  entrypoint?: string[];
}

export interface ReplayStep {
  instruction: DockerInstruction;
  stage: string;
  /** `skipped`: an instruction that needs root inside the image; the caller checks it statically. */
  outcome: 'done' | 'skipped';
  ms: number;
}

export interface ReplayResult {
  instructions: DockerInstruction[];
  steps: ReplayStep[];
  stages: Stage[];
  /** The last stage: the image the platform runs. */
  image: Stage;
}

export interface ReplayOptions {
  /** Build context (the repository root). */
  context: string;
  /** Empty directory that receives one sub-directory per stage. */
  outDir: string;
  dockerfile?: string;
  /** Progress of RUN steps; default silent. */
  onOutput?: (chunk: string) => void;
}

/** Instructions the replay knows how to carry out; any other one fails the replay. */
const KEYWORDS = new Set(['FROM', 'WORKDIR', 'ENV', 'COPY', 'RUN', 'USER', 'ENTRYPOINT']);
/**
 * RUN commands that change the image's system (users, root-owned directories): impossible without
 * root, harmful on the host. A RUN made only of these is skipped, and its effect (the non-root
 * USER) is asserted on the Dockerfile's text instead.
 */
const SYSTEM_COMMANDS = new Set(['useradd', 'groupadd', 'mkdir', 'chown', 'chmod']);

/** Joins continuation lines and drops comments, keeping each instruction's first line number. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  let pending: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !pending)) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending
      ? { line: pending.line, text: `${pending.text} ${part}` }
      : { line: index + 1, text: part };
    if (continued) return;
    const match = /^(\S+)\s*(.*)$/.exec(pending.text) as RegExpExecArray;
    instructions.push({ line: pending.line, keyword: match[1].toUpperCase(), args: match[2] });
    pending = undefined;
  });
  return instructions;
}

/**
 * `.dockerignore` as Docker reads it: patterns anchored at the context root (unlike .gitignore),
 * `*` within one path segment, `**` across segments, a path excluded when it or a parent matches.
 */
export function dockerIgnore(text: string): (relativePath: string) => boolean {
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const exception = patterns.find((p) => p.startsWith('!'));
  if (exception) throw new Error(`.dockerignore exceptions are not replayed: ${exception}`);
  const regexps = patterns.map((p) => globRegExp(path.posix.normalize(p).replace(/^\/+/, '')));
  return (relativePath) => {
    const parts = relativePath.split('/');
    return parts.some((_, i) => regexps.some((re) => re.test(parts.slice(0, i + 1).join('/'))));
  };
}

function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Host path of a container path in `stage`, relative paths taken from its WORKDIR. */
export function hostPath(stage: Stage, containerPath: string): string {
  return path.join(stage.root, path.posix.resolve(stage.workdir, containerPath));
}

export async function replayDockerfile(options: ReplayOptions): Promise<ReplayResult> {
  const dockerfile = options.dockerfile ?? path.join(options.context, 'Dockerfile');
  const instructions = parseDockerfile(fs.readFileSync(dockerfile, 'utf8'));
  const ignorePath = path.join(options.context, '.dockerignore');
  const ignored = fs.existsSync(ignorePath) ? dockerIgnore(fs.readFileSync(ignorePath, 'utf8')) : () => false;
  const stages: Stage[] = [];
  const steps: ReplayStep[] = [];

  for (const instruction of instructions) {
    const started = Date.now();
    if (!KEYWORDS.has(instruction.keyword)) {
      throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} is not replayed`);
    }
    if (instruction.keyword === 'FROM') {
      const name = /\sAS\s+(\S+)$/i.exec(instruction.args)?.[1] ?? `stage-${stages.length}`;
      const root = path.join(options.outDir, name);
      fs.mkdirSync(root, { recursive: true });
      stages.push({ name, root, workdir: '/', env: {} });
      steps.push({ instruction, stage: name, outcome: 'done', ms: Date.now() - started });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before FROM`);
    let outcome: ReplayStep['outcome'] = 'done';
    switch (instruction.keyword) {
      case 'WORKDIR':
        stage.workdir = path.posix.resolve(stage.workdir, instruction.args);
        fs.mkdirSync(hostPath(stage, '.'), { recursive: true });
        break;
      case 'ENV':
        Object.assign(stage.env, parseEnv(instruction));
        break;
      case 'USER':
        stage.user = instruction.args;
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = parseExecForm(instruction);
        break;
      case 'COPY':
        copy(instruction, stage, stages, options.context, ignored);
        break;
      case 'RUN':
        if (isSystemSetup(instruction.args)) outcome = 'skipped';
        else await run(instruction, stage, options.onOutput);
        break;
    }
    steps.push({ instruction, stage: stage.name, outcome, ms: Date.now() - started });
  }
  const image = stages.at(-1);
  if (!image) throw new Error('The Dockerfile has no FROM');
  return { instructions, steps, stages, image };
}

/** The environment the final stage sets (its ENV lines), i.e. what the collector runs with in the image. */
export function imageEnvironment(dockerfile: string): Record<string, string> {
  const instructions = parseDockerfile(dockerfile);
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  return Object.assign(
    {},
    ...instructions
      .slice(lastFrom + 1)
      .filter((i) => i.keyword === 'ENV')
      .map(parseEnv),
  ) as Record<string, string>;
}

/** `ENV KEY=value KEY2="value with spaces"`; escapes and the legacy `ENV KEY value` form are refused. */
function parseEnv(instruction: DockerInstruction): Record<string, string> {
  const pair = /\s*([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"\\$]*)"|([^\s"'\\$]*))(?=\s|$)/y;
  const env: Record<string, string> = {};
  const args = instruction.args.trim();
  while (pair.lastIndex < args.length) {
    const match = pair.exec(args);
    if (!match) {
      throw new Error(
        `Dockerfile line ${instruction.line}: only ENV KEY=value pairs (values plain or in double quotes, without escapes or variables) are replayed`,
      );
    }
    env[match[1] as string] = match[2] ?? match[3] ?? '';
  }
  return env;
}

function parseExecForm(instruction: DockerInstruction): string[] {
  const parsed: unknown = JSON.parse(instruction.args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) {
    throw new Error(
      `Dockerfile line ${instruction.line}: ${instruction.keyword} must use the exec (JSON) form`,
    );
  }
  return parsed as string[];
}

function isSystemSetup(command: string): boolean {
  return command.split('&&').every((part) => SYSTEM_COMMANDS.has(part.trim().split(/\s+/)[0]));
}

/**
 * COPY as Docker does it: a directory source copies its contents, several sources or a trailing
 * slash make the destination a directory, `*` expands within the last segment, symlinks are kept
 * as they are (npm's workspace link in node_modules must still point at packages/ in /app).
 */
function copy(
  instruction: DockerInstruction,
  stage: Stage,
  stages: Stage[],
  context: string,
  ignored: (relativePath: string) => boolean,
): void {
  const words = instruction.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const unknownFlag = flags.find((f) => !f.startsWith('--from='));
  if (unknownFlag)
    throw new Error(`Dockerfile line ${instruction.line}: COPY ${unknownFlag} is not replayed`);
  const fromName = flags[0]?.slice('--from='.length);
  const from = fromName === undefined ? undefined : stages.find((s) => s.name === fromName);
  if (fromName !== undefined && !from)
    throw new Error(`Dockerfile line ${instruction.line}: no stage ${fromName}`);
  const operands = words.filter((w) => !w.startsWith('--'));
  const dest = operands.pop() as string;
  const sourceRoot = from ? from.root : context;
  const sources = operands.flatMap((source) =>
    expand(from ? path.posix.resolve('/', source) : source, sourceRoot),
  );
  if (sources.length === 0) throw new Error(`Dockerfile line ${instruction.line}: no source matches`);
  const intoDirectory = dest.endsWith('/') || operands.length > 1 || operands.some((s) => s.includes('*'));
  const target = hostPath(stage, dest);
  for (const source of sources) {
    const hostSource = path.join(sourceRoot, source);
    const isDirectory = fs.statSync(hostSource).isDirectory();
    const destination = isDirectory || !intoDirectory ? target : path.join(target, path.basename(source));
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.cpSync(hostSource, destination, {
      recursive: true,
      verbatimSymlinks: true,
      // The build context is filtered by .dockerignore; another stage's files are copied whole.
      filter: (file) =>
        from !== undefined || !ignored(path.relative(context, file).split(path.sep).join('/')),
    });
  }
}

/** Paths (relative to `root`) a COPY source names; a `*` is expanded within the last segment only. */
function expand(source: string, root: string): string[] {
  const relative = source.replace(/^\/+/, '');
  if (!relative.includes('*')) return fs.existsSync(path.join(root, relative)) ? [relative] : [];
  const dir = path.posix.dirname(relative);
  if (dir.includes('*'))
    throw new Error(`COPY source ${source}: wildcards only in the last segment are replayed`);
  const pattern = globRegExp(path.posix.basename(relative));
  return fs
    .readdirSync(path.join(root, dir))
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => path.posix.join(dir, name));
}

function run(
  instruction: DockerInstruction,
  stage: Stage,
  onOutput: ((chunk: string) => void) | undefined,
): Promise<void> {
  const output: string[] = [];
  const child = spawn('sh', ['-c', instruction.args], {
    cwd: hostPath(stage, '.'),
    // The npm cache of the machine may be all there is (no registry): use it first, fetch what it lacks.
    env: { ...process.env, ...stage.env, npm_config_prefer_offline: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output.push(chunk);
      onOutput?.(chunk);
    });
  }
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        const tail = output.join('').split('\n').slice(-30).join('\n');
        reject(
          new Error(`Dockerfile line ${instruction.line}: RUN exited ${code}: ${instruction.args}\n${tail}`),
        );
      }
    });
  });
}

async function main(): Promise<void> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pra-image-'));
  const started = Date.now();
  const result = await replayDockerfile({
    context: path.resolve(__dirname, '..', '..'),
    outDir,
    onOutput: (chunk) => process.stderr.write(chunk),
  });
  for (const step of result.steps) {
    const { line, keyword, args } = step.instruction;
    const label = `${step.outcome === 'skipped' ? 'skipped' : `${(step.ms / 1000).toFixed(1)} s`}`.padStart(
      8,
    );
    console.log(`${label}  [${step.stage}] line ${line}: ${keyword} ${args}`);
  }
  console.log(
    `Image replayed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${hostPath(result.image, '.')}`,
  );
  console.log(`ENTRYPOINT ${JSON.stringify(result.image.entrypoint)} as ${result.image.user ?? 'root'}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`image replay failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
