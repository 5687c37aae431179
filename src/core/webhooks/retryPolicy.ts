/**
 * When to try a failed delivery again: 10 retries over about two days, each
 * delay jittered ±20 % so endpoints that failed together do not retry
 * together; a `Retry-After` from the receiver pushes the next attempt later
 * (never earlier), up to a day.
 */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

const MAX_RETRY_AFTER_MS = 86_400_000;

/** Delay before attempt `attempts + 1`, or undefined when no retry is left. */
export function nextDelayMs(attempts: number, delays: readonly number[], random: () => number = Math.random): number | undefined {
  const base = delays[attempts - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** `Retry-After` as milliseconds from now (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}
