// One turn at a time per conversation; different conversations run concurrently.
// Each conversation has a promise chain; a task starts when the previous one settles.

export class ConversationQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(conversationId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(conversationId) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(conversationId, tail);
    // Forget idle conversations so the map does not grow with every conversation ever seen.
    void tail.then(() => {
      if (this.tails.get(conversationId) === tail) this.tails.delete(conversationId);
    });
    return next;
  }

  /** Resolves when every queued task has settled (used at shutdown). */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
