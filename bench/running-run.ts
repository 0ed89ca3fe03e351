/**
 * bench:collect --running: sessions that run while the collector follows them, time-compressed.
 * What PRA sends for a running session depends on how often it is asked for, against its age and
 * the delay bound; both scale with the cycle, so a run at a 1 s cycle and a bound of 10 s is the
 * default setting (60 s, 600 s) sixty times faster: a session of 8 minutes stands for one of 8 hours.
 * Every event must arrive exactly once, and while its session runs within the schedule's delay.
 */
import { CollectorProcess, platformLaunch } from '../simulator/collector-process';
import { checkSessionDelivery, expectedSessionJsons } from '../simulator/expected-session-events';
import type { DeliveryReport } from '../simulator/delivery-check';
import { startPraSimulator, type SimSession } from '../simulator/pra';
import { startSekoiaSimulator } from '../simulator/sekoia';
import { praCost, type PraCost } from './pra-cost';

/** The default trigger's cycle and bound, compressed by this factor. */
export const TIME_COMPRESSION = 60;
const CYCLE_SECONDS = 1;
const DELAY_BOUND_SECONDS = 600 / TIME_COMPRESSION;

export interface RunningPlan {
  sessions: number;
  /** How long each session runs, in compressed seconds (60 stands for an hour). */
  lengthSeconds: number;
  /** Events each session logs over its length. */
  events: number;
}

export interface RunningResult {
  plan: RunningPlan;
  delivery: DeliveryReport;
  cost: PraCost;
  /** Events that reached the intake later than the schedule allows (two cycles, a third of the age, the bound). */
  late: number;
  /** The longest wait of an event from its time to the intake, in compressed seconds. */
  longestWaitSeconds: number;
}

/**
 * PRA stamps an event with its second: one written at 100.9 s says 100, so its wait is counted up
 * to this much too long.
 */
const TIMESTAMP_RESOLUTION_SECONDS = 1;

/**
 * What the schedule allows an event logged when its session was `age` seconds old, plus a cycle of
 * slack (the next cycle may start later than the last period foretold) and the stamp's resolution.
 */
function allowedWait(age: number): number {
  const allowed = Math.min(DELAY_BOUND_SECONDS, Math.max(2 * CYCLE_SECONDS, age / 3));
  return allowed + CYCLE_SECONDS + TIMESTAMP_RESOLUTION_SECONDS;
}

export async function runRunningSessions(plan: RunningPlan): Promise<RunningResult> {
  const pra = await startPraSimulator({
    closedSessions: 0,
    openSessions: plan.sessions,
    eventsPerSession: 4,
    historySeconds: 1,
  });
  const arrivals: Array<{ json: string; at: number }> = [];
  const sekoia = await startSekoiaSimulator({
    secrets: { client_secret: 'sim-secret' },
    onBatch: (batch) => {
      for (const json of batch.jsons) arrivals.push({ json, at: batch.receivedAt / 1000 });
    },
  });
  const collector = CollectorProcess.start(
    platformLaunch(
      { pra, sekoia },
      {
        trigger: {
          frequency: CYCLE_SECONDS,
          first_run_lookback_hours: 1,
          running_session_max_delay_seconds: DELAY_BOUND_SECONDS,
        },
      },
    ),
  );
  try {
    const stopGrowing = pra.autoGrow((plan.lengthSeconds * 1000) / plan.events, { stampNow: true });
    await new Promise((resolve) => setTimeout(resolve, plan.lengthSeconds * 1000));
    stopGrowing();
    for (const session of pra.sessions) if (session.endTime === null) pra.endSession(session.lsid);
    const expected = expectedSessionJsons(pra);
    await sekoia.waitFor(() => checkSessionDelivery(pra, expected, sekoia.events).lost === 0, 120_000);
    const cost = praCost(pra);
    // Events logged before the collector's first detail request were history to it, not followed.
    const firstFetch = pra.requests.find((request) => request.params.generate_report === 'AccessSession');
    const waits = eventWaits(pra.sessions, arrivals, firstFetch?.at ?? 0);
    await collector.stop('SIGTERM');
    return {
      plan,
      delivery: checkSessionDelivery(pra, expected, sekoia.events),
      cost,
      late: waits.filter((wait) => wait.seconds > allowedWait(wait.age)).length,
      longestWaitSeconds: Math.max(0, ...waits.map((wait) => wait.seconds)),
    };
  } finally {
    await collector.stop('SIGKILL');
    await Promise.all([pra.close(), sekoia.close()]);
  }
}

/**
 * Each event's wait from its time to its first arrival, and its session's age then: the events
 * logged while the collector followed the session (from `followedFrom`) and before it ended.
 */
function eventWaits(
  sessions: readonly SimSession[],
  arrivals: ReadonlyArray<{ json: string; at: number }>,
  followedFrom: number,
): Array<{ seconds: number; age: number }> {
  const starts = new Map(sessions.map((session) => [session.lsid, session.startTime]));
  const ends = new Map(sessions.map((session) => [session.lsid, session.endTime ?? Infinity]));
  const first = new Map<string, number>();
  for (const { json, at } of arrivals) if (!first.has(json)) first.set(json, at);
  const waits: Array<{ seconds: number; age: number }> = [];
  for (const [json, at] of first) {
    const event = JSON.parse(json) as { session_id: string; timestamp: string };
    const time = Number(event.timestamp);
    const start = starts.get(event.session_id) ?? time;
    // Only events logged while the session ran: the last ones come with its end, at once.
    if (time < followedFrom || time >= (ends.get(event.session_id) ?? Infinity)) continue;
    waits.push({ seconds: at - time, age: time - start });
  }
  return waits;
}

export function printRunning(run: RunningResult): void {
  const { plan, delivery, cost } = run;
  const stands = (plan.lengthSeconds * TIME_COMPRESSION) / 3600;
  const events = plan.sessions * plan.events;
  console.log(
    `\n== running sessions: ${plan.sessions} sessions of ${plan.lengthSeconds} s at a ${CYCLE_SECONDS} s cycle, ` +
      `delay bound ${DELAY_BOUND_SECONDS} s (the defaults ${TIME_COMPRESSION}x faster: sessions of ${stands.toFixed(1)} h), ` +
      `about ${events} events`,
  );
  const target = stands <= 2 ? 10 : stands / (2 * (600 / 3600));
  console.log(`events delivered               ${delivery.delivered} of ${delivery.expected}`);
  console.log(
    `lost / duplicated / unexpected ${delivery.lost} / ${delivery.duplicated} / ${delivery.unexpected}`,
  );
  console.log(
    `events PRA sent / forwarded    ${(cost.eventsSent / Math.max(1, delivery.expected)).toFixed(1)} (target ${stands <= 2 ? '<=' : 'about'} ${target.toFixed(0)}, length ÷ (2 × bound) past 2 h; every cycle would be about ${(plan.lengthSeconds / (2 * CYCLE_SECONDS)).toFixed(0)})`,
  );
  console.log(`PRA requests                   ${cost.requests} (busiest hour ${cost.busiestHourRequests})`);
  console.log(
    `longest wait of an event       ${run.longestWaitSeconds.toFixed(1)} s; later than the schedule allows: ${run.late}`,
  );
}
