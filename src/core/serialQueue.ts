/**
 * Runs async tasks one after another. Each session has one, so two API calls
 * on the same session (connect + connect, logout + delete) never interleave.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
