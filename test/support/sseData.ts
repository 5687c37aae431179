/**
 * The `data` of each server-sent event on a stream (parsed by
 * eventsource-parser, as @wagate/client does), with the epoch ms its chunk
 * arrived. The tests' and the bench's stream readers build on this.
 */
import { createParser } from 'eventsource-parser';

export async function eachSseData(body: ReadableStream<Uint8Array>, onData: (data: string, receivedAt: number) => void): Promise<void> {
  let receivedAt = 0;
  const parser = createParser({ onEvent: (message) => message.data !== '' && onData(message.data, receivedAt) });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    receivedAt = Date.now();
    parser.feed(decoder.decode(value, { stream: true }));
  }
}
