/**
 * A live countdown to an expiry time. The visible clock ticks every second;
 * the screen-reader text changes only at a few milestones ("about 2 minutes"),
 * so it is announced a handful of times rather than sixty times a minute.
 */
import { useEffect } from 'preact/hooks';
import { clock, spokenDuration } from '../format.js';
import { useNow } from '../hooks.js';

const MILESTONES = [10, 30, 60, 120, 180, 240, 300];

function spokenMilestone(seconds: number): string {
  const milestone = MILESTONES.find((m) => seconds <= m) ?? Math.ceil(seconds / 60) * 60;
  return `about ${spokenDuration(milestone)}`;
}

export function Countdown(props: { expiresAt: string; label: string; expiredText: string; onExpired?: () => void }) {
  const now = useNow(1000);
  const seconds = Math.max(0, Math.ceil((Date.parse(props.expiresAt) - now) / 1000));
  const expired = seconds <= 0;

  useEffect(() => {
    if (expired) props.onExpired?.();
  }, [expired]);

  return (
    <div class={`countdown${expired ? ' expired' : ''}${!expired && seconds <= 30 ? ' soon' : ''}`}>
      <p aria-hidden="true">
        {expired ? (
          props.expiredText
        ) : (
          <>
            {props.label} <span class="clock" data-seconds-left={seconds}>{clock(seconds)}</span>
          </>
        )}
      </p>
      <p class="sr-only" aria-live="polite" aria-atomic="true">
        {expired ? props.expiredText : `${props.label} ${spokenMilestone(seconds)}`}
      </p>
    </div>
  );
}
