/** The re-check's metric helpers on hand-computable cases (the same cases as the toolchain's unit tests). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { averagePrecision, Confusion, delta1, iou, meanAp } from './metrics.js';

describe('demo-family metrics', () => {
  test('mIoU skips classes absent from ground truth and prediction', () => {
    const c = new Confusion(3);
    c.add([0, 1, 1, 1], [0, 0, 1, 1]);
    assert.ok(Math.abs(c.miou() - (0.5 + 2 / 3) / 2) < 1e-12);
  });

  test('δ1 is strict and ignores pixels outside the valid range', () => {
    assert.equal(delta1([1.25], [1.0], [0.5, 10]), 0);
    assert.equal(delta1([3, 5], [3, 20], [0.5, 10]), 1);
    assert.equal(delta1([1], [20], [0.5, 10]), null);
  });

  test('box IoU and 101-point AP', () => {
    assert.ok(Math.abs(iou([0, 0, 2, 2], [1, 0, 3, 2]) - 1 / 3) < 1e-12);
    assert.ok(Math.abs(averagePrecision([1, 0, 1], 2) - (51 + 50 * (2 / 3)) / 101) < 1e-12);
    assert.ok(Math.abs(averagePrecision([1], 2) - 51 / 101) < 1e-12);
  });

  test('greedy matching in global score order, classes without ground truth ignored', () => {
    const ap = meanAp([
      { boxes: [[50, 50, 60, 60], [0, 0, 10, 10], [0, 0, 5, 5]], scores: [0.95, 0.6, 0.99], labels: [0, 0, 1], truthBoxes: [[0, 0, 10, 10]], truthLabels: [0] },
      { boxes: [[0, 0, 10, 10]], scores: [0.7], labels: [0], truthBoxes: [[0, 0, 10, 10]], truthLabels: [0] },
    ], 2);
    assert.ok(Math.abs(ap - 2 / 3) < 1e-12);
  });
});
