import type { SessionEvent } from './events';

/**
 * What makes an event itself, as PRA wrote it once: session, time, type, actor, target, data and
 * chat text. The session-level fields copied into every event (file counters, participants' IPs)
 * keep changing while a session runs, so two reports of the same event may differ there.
 */
export function eventIdentity(event: SessionEvent): string {
  const actor = event.performed_by;
  return JSON.stringify([
    event.session_id,
    event.timestamp,
    event.event_type,
    actor?.type,
    actor?.name,
    actor?.gsnumber,
    event.destination,
    event.data,
    event.body,
  ]);
}
