/**
 * What a run cost PRA, counted from the simulator's own record of the requests it answered: how
 * many, how many in the busiest hour (BeyondTrust's budget is quoted per hour and API account), and
 * how many events its AccessSession replies carried against the events the intake needed.
 */
import type { PraSimulator, RecordedRequest, SimSession } from '../simulator/pra';

export interface PraCost {
  requests: number;
  busiestHourRequests: number;
  /** Events of sessions in the AccessSession replies, as they were when each reply was made. */
  eventsSent: number;
}

const HOUR = 3600;

/** Requests of the busiest sliding hour, by the simulator's clock. */
function busiestHour(requests: readonly RecordedRequest[]): number {
  const times = requests.map((request) => request.at).sort((a, b) => a - b);
  let busiest = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while (times[last] - times[first] >= HOUR) first++;
    busiest = Math.max(busiest, last - first + 1);
  }
  return busiest;
}

/** Events of `session` a report made at `at` shows: those logged by then. */
function eventsShown(session: SimSession, at: number): number {
  let shown = 0;
  for (const event of session.events) if (event.timestamp <= at) shown++;
  return shown;
}

export function praCost(pra: PraSimulator, upTo = pra.requests.length): PraCost {
  const requests = pra.requests.slice(0, upTo);
  const sessions = new Map(pra.sessions.map((session) => [session.lsid, session]));
  let eventsSent = 0;
  for (const request of requests) {
    if (request.params.generate_report !== 'AccessSession') continue;
    for (const lsid of request.returned ?? []) {
      const session = sessions.get(lsid);
      if (session !== undefined) eventsSent += eventsShown(session, request.at);
    }
  }
  return { requests: requests.length, busiestHourRequests: busiestHour(requests), eventsSent };
}
