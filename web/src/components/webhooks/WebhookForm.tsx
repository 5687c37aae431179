/** URL, events and (when adding) the session of a webhook; used to add one and to edit one. */
import { useState } from 'preact/hooks';
import { useAction } from '../../hooks.js';
import { WEBHOOK_EVENT_TYPES } from '../../../../src/core/model.js';

export interface WebhookFields {
  url: string;
  events: string[];
  sessionId?: string;
}

export function WebhookForm(props: {
  initial?: WebhookFields;
  /** Adding asks for an optional session; an existing webhook keeps its own. */
  withSession: boolean;
  submitLabel: string;
  onSubmit: (fields: WebhookFields) => Promise<void>;
  onCancel?: () => void;
}) {
  const { busy, error, run } = useAction();
  const [url, setUrl] = useState(props.initial?.url ?? '');
  const [all, setAll] = useState(props.initial ? props.initial.events.includes('*') : true);
  const [events, setEvents] = useState<ReadonlySet<string>>(new Set(props.initial?.events.filter((e) => e !== '*') ?? []));
  const [sessionId, setSessionId] = useState('');
  const idBase = props.initial ? 'edit-webhook' : 'new-webhook';

  const toggle = (type: string, on: boolean) => {
    const next = new Set(events);
    if (on) next.add(type);
    else next.delete(type);
    setEvents(next);
  };

  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const fields: WebhookFields = { url: url.trim(), events: all ? ['*'] : [...events] };
      if (props.withSession && sessionId.trim()) fields.sessionId = sessionId.trim();
      await props.onSubmit(fields);
    });
  };

  return (
    <form class="webhook-form" onSubmit={submit}>
      <label for={`${idBase}-url`}>URL that receives the events</label>
      <input id={`${idBase}-url`} type="url" required value={url} placeholder="https://example.com/hooks/wagate" autoComplete="off" onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
      {props.withSession && (
        <>
          <label for={`${idBase}-session`}>Only this session (optional)</label>
          <input id={`${idBase}-session`} value={sessionId} placeholder="Every session" autoComplete="off" spellcheck={false} onInput={(e) => setSessionId((e.target as HTMLInputElement).value)} />
        </>
      )}
      <fieldset class="event-choice">
        <legend>Events</legend>
        <label class="check">
          <input type="checkbox" checked={all} onChange={(e) => setAll((e.target as HTMLInputElement).checked)} /> All events
        </label>
        {!all &&
          WEBHOOK_EVENT_TYPES.map((type) => (
            <label key={type} class="check">
              <input type="checkbox" checked={events.has(type)} onChange={(e) => toggle(type, (e.target as HTMLInputElement).checked)} /> <code>{type}</code>
            </label>
          ))}
      </fieldset>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || (!all && events.size === 0)}>
          {busy ? 'Saving…' : props.submitLabel}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
