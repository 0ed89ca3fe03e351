import type { SessionEvent } from '../module/events';

/**
 * Keys copied onto every event from the session around it. While a session runs, PRA's report shows
 * them as of that moment (file counters grow with each transfer, participant details appear), so
 * one event forwarded while running legitimately differs from the same event rendered at the end.
 */
const SESSION_LEVEL_KEYS = [
  'jump_group',
  'primary_customer',
  'primary_rep',
  'file_transfer_count',
  'file_move_count',
  'file_delete_count',
] as const;

/**
 * What makes an event the same event whenever it was fetched: the forwarded JSON without the
 * session-level keys, and `performed_by` without the participant fields merged in from the
 * session's participant lists. Compare multisets of identities to count lost and duplicated events
 * of sessions followed while running; compare full JSON for sessions fetched once, after their end.
 */
export function eventIdentity(json: string): string {
  const event = JSON.parse(json) as SessionEvent;
  for (const key of SESSION_LEVEL_KEYS) delete event[key];
  if (event.performed_by) {
    const { type, name, gsnumber } = event.performed_by;
    event.performed_by = { type, name, gsnumber };
  }
  return JSON.stringify(event);
}
