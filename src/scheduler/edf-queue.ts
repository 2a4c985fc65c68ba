import { edfInsertIndex } from '../controller/plan.js';
import type { QueuedRequest, TaskName } from '../controller/types.js';

/**
 * Per-task queues in EDF order (deadline, then arrival, then id) with lookup by id. Sizes are bounded by the
 * scheduler's queue bound (tens to hundreds), so sorted arrays with binary insertion beat heaps here and give
 * policies an ordered view for free.
 */
export class EdfQueue<E extends QueuedRequest> {
  private readonly byTask = new Map<TaskName, E[]>();
  private readonly byId = new Map<string, E>();

  /** Total queued over all tasks. */
  get size(): number {
    return this.byId.size;
  }

  /** Live per-task views in EDF order; callers must not mutate them. */
  get queues(): ReadonlyMap<TaskName, readonly E[]> {
    return this.byTask;
  }

  get(id: string): E | undefined {
    return this.byId.get(id);
  }

  depth(task: TaskName): number {
    return this.byTask.get(task)?.length ?? 0;
  }

  /** Inserts at the EDF position; throws on a duplicate id. */
  push(entry: E): void {
    if (this.byId.has(entry.id)) throw new Error(`EdfQueue: duplicate id ${entry.id}`);
    let queue = this.byTask.get(entry.task);
    if (queue === undefined) this.byTask.set(entry.task, (queue = []));
    queue.splice(edfInsertIndex(queue, entry), 0, entry);
    this.byId.set(entry.id, entry);
  }

  /** Removes and returns the entries with these ids (unknown ids are skipped), in the given order. */
  take(ids: readonly string[]): E[] {
    const taken: E[] = [];
    const tasks = new Set<TaskName>();
    for (const id of ids) {
      const entry = this.byId.get(id);
      if (entry === undefined) continue;
      this.byId.delete(id);
      taken.push(entry);
      tasks.add(entry.task);
    }
    for (const task of tasks) {
      const kept = this.byTask.get(task)!.filter((e) => this.byId.has(e.id));
      this.byTask.set(task, kept);
    }
    return taken;
  }

  /** Removes and returns every entry for which `doomed` holds. */
  removeWhere(doomed: (entry: E) => boolean): E[] {
    const ids: string[] = [];
    for (const queue of this.byTask.values()) for (const e of queue) if (doomed(e)) ids.push(e.id);
    return ids.length === 0 ? [] : this.take(ids);
  }

  *[Symbol.iterator](): IterableIterator<E> {
    yield* this.byId.values();
  }
}
