const DATE_TIME = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const DATE_TIME_SECONDS = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });

/**
 * A timestamp as "25 Nov 2026, 14:05 UTC" (times are UTC on the wire and shown as UTC, D4); with
 * seconds where several may fall in one minute (versions).
 */
export function formatDateTime(iso: string | null | undefined, options: { hasSeconds?: boolean } = {}): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${(options.hasSeconds ? DATE_TIME_SECONDS : DATE_TIME).format(date)} UTC`;
}

/** The first 8 characters of a uuid, as a short version label. */
export function shortId(uuid: string): string {
  return uuid.replace(/^v-/, '').slice(0, 8);
}

/**
 * A `datetime-local` field's value ("2026-12-08T14:30") read as UTC, the one zone every time on screen
 * uses (D4), as ISO-8601; null when empty or not a time.
 */
export function utcInputToIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const date = new Date(`${value}Z`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** True when a go-live time is not in the future (it cannot be scheduled; publishing now is the offer). */
export function isNotInFuture(iso: string, now: number = Date.now()): boolean {
  return Date.parse(iso) <= now;
}
