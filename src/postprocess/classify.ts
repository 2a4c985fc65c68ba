/** One class of a classification answer. */
export interface ClassPrediction {
  /** Index into the head's outputs (and the bundle's labels). */
  index: number;
  label: string;
  /** Softmax probability in [0, 1]. */
  probability: number;
}

/** Numerically stable softmax of one row of logits. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** The label of class `index`, or `class_<index>` when the bundle ships no labels. */
export function labelOf(labels: readonly string[] | undefined, index: number): string {
  return labels?.[index] ?? `class_${index}`;
}

/**
 * The `topK` most probable classes of one row of logits, most probable first (ties: lower index first).
 * `topK` is clamped to the number of classes.
 */
export function topK(logits: ArrayLike<number>, k: number, labels?: readonly string[]): ClassPrediction[] {
  const probabilities = softmax(logits);
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
  return order.slice(0, Math.max(0, Math.min(k, order.length))).map((index) => ({
    index,
    label: labelOf(labels, index),
    probability: probabilities[index]!,
  }));
}
