/** A session's keys by label and id (never the keys themselves), each with Revoke. */
import type { ApiKeyInfo } from '../../api.js';
import { time } from '../../format.js';

export function KeyTable(props: { keys: ApiKeyInfo[]; onRevoke: (info: ApiKeyInfo) => void }) {
  if (props.keys.length === 0) return <p class="muted">This session has no keys yet.</p>;
  return (
    <div class="table-wrap">
      <table class="keys">
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col">Key id</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.keys.map((k) => (
            <tr key={k.keyId} data-key-id={k.keyId}>
              <td>{k.label ?? '—'}</td>
              <td>
                <code>{k.keyId}</code>
              </td>
              <td>{time(k.createdAt)}</td>
              <td>{k.lastUsedAt ? time(k.lastUsedAt) : 'Never'}</td>
              <td>
                <button type="button" class="danger-outline" onClick={() => props.onRevoke(k)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
