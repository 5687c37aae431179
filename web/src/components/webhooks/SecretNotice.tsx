/** A webhook's signing secret, shown once after it was made. */
export function SecretNotice(props: { secret: string }) {
  return (
    <div class="notice new-key" role="status">
      <p>Signing secret (shown only now; your receiver checks signatures with it):</p>
      <code class="secret" data-webhook-secret={props.secret}>
        {props.secret}
      </code>
    </div>
  );
}
