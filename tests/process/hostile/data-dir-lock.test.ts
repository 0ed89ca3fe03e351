/**
 * Two collectors on one data directory, end to end: the real entry point twice, under the image's
 * NODE_OPTIONS, on the same directory. The second one says who holds it and stands by, without
 * collecting, until the first stops; then it takes over. Nothing is forwarded twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCK_FILE_NAME } from '../../../module/engine/data-dir-lock';
import { imageEnvironment } from '../../../scripts/image-replay';
import type { CollectorProcess } from '../../../simulator/collector-process';
import { Scenario } from '../../support/scenario';
import { REPO_ROOT } from '../../support/paths';

const IMAGE_NODE_OPTIONS = imageEnvironment(
  fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'),
).NODE_OPTIONS;

let stack: Scenario | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

function launch(running: Scenario): CollectorProcess {
  return running.launch({ env: { NODE_OPTIONS: IMAGE_NODE_OPTIONS } });
}

function said(collector: CollectorProcess, pattern: RegExp): string[] {
  return collector.lines.map((line) => String(line.message)).filter((message) => pattern.test(message));
}

it('a second collector on the same directory stands by with one critical, and takes over once the first stops', async () => {
  const running = await Scenario.start({ pra: { closedSessions: 3, openSessions: 0 } });
  stack = running;
  const first = launch(running);
  await running.delivered(await running.expected());

  const second = launch(running);
  await running.sekoia.waitFor(() => running.sekoia.logs.some((entry) => entry.level === 'critical'));
  const criticals = running.sekoia.logs.filter((entry) => entry.level === 'critical');
  expect(criticals).toHaveLength(1);
  expect(criticals[0].message).toMatch(
    new RegExp(
      `^Another collector is using the data directory ${running.dataDir}: pid ${first.child.pid} on host ` +
        `${os.hostname()}, holding it since .*\\. Two collectors on one data directory would forward every ` +
        'event twice\\. Stop one of them, or give each its own data directory\\. This collector does not ' +
        'collect meanwhile, and looks again every 1 s\\. It takes over when the other stops\\.$',
    ),
  );

  // While both run, only the first collects: a new session arrives once.
  running.pra.addSession({ events: 3 });
  await running.delivered(await running.expected());
  await running.moreCycles(2);
  expect(running.report(await running.expected())).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
  expect(said(second, /^Collecting /)).toEqual([]);
  expect(second.child.exitCode).toBeNull();

  // The first stops cleanly and releases the directory: the second takes over and collects.
  expect((await first.stop('SIGTERM')).code).toBe(0);
  await second.waitFor(() => said(second, /^Collecting /).length === 1, 20_000, 'the takeover');
  expect(said(second, /^Collection starts: /)).toEqual([
    `Collection starts: the data directory ${running.dataDir} is free`,
  ]);
  running.pra.addSession({ events: 2 });
  const all = await running.expected();
  await running.delivered(all);
  await running.moreCycles(1);
  expect(running.report(all)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });

  expect((await second.stop('SIGTERM')).code).toBe(0);
  expect(fs.existsSync(path.join(running.dataDir, LOCK_FILE_NAME))).toBe(false);
});

it('after a SIGKILL, the next collector takes the lock over at once, with a warning naming the one it replaces', async () => {
  const running = await Scenario.start({ pra: { closedSessions: 2, openSessions: 0 } });
  stack = running;
  const killed = launch(running);
  await running.delivered(await running.expected());
  await killed.stop('SIGKILL');
  expect(fs.existsSync(path.join(running.dataDir, LOCK_FILE_NAME))).toBe(true);

  const next = launch(running);
  running.pra.addSession({ events: 2 });
  const all = await running.expected();
  await running.delivered(all);
  expect(said(next, /^Took over /)).toEqual([
    expect.stringMatching(
      new RegExp(
        `^Took over ${running.dataDir}/${LOCK_FILE_NAME} from pid ${killed.child.pid} on host .*, which did not stop cleanly$`,
      ),
    ),
  ]);
  expect(running.sekoia.logs.filter((entry) => entry.level === 'critical')).toEqual([]);
  expect((await next.stop('SIGTERM')).code).toBe(0);
});
