// The latency-budget slider: a log scale over the task's allowed budgets, shown in ms.
import { formatMs } from './dom.js';

/** The slider never spans more than this (ms): budgets beyond are for batch jobs, not a demo. */
const SLIDER_MAX_MS = 10_000;
const SLIDER_MIN_MS = 5;

export class BudgetSlider {
  /**
   * @param {HTMLInputElement} input a range input (its min/max are slider steps, not ms)
   * @param {HTMLOutputElement} output shows the value in ms
   */
  constructor(input, output) {
    this.input = input;
    this.output = output;
    this.lo = 10;
    this.hi = 2000;
    this.steps = Number(input.max) || 1000;
    input.addEventListener('input', () => this.#show());
  }

  /** Adopts the task's bounds (ms) and sets the value. @param {{minMs: number, maxMs: number}} bounds @param {number} ms */
  configure(bounds, ms) {
    this.lo = Math.max(bounds.minMs, SLIDER_MIN_MS);
    this.hi = Math.max(this.lo * 2, Math.min(bounds.maxMs, SLIDER_MAX_MS));
    this.ms = ms;
  }

  /** The budget in whole ms. */
  get ms() {
    const t = Number(this.input.value) / this.steps;
    return Math.round(this.lo * (this.hi / this.lo) ** t);
  }

  set ms(value) {
    const clamped = Math.min(this.hi, Math.max(this.lo, value));
    this.input.value = String(Math.round((this.steps * Math.log(clamped / this.lo)) / Math.log(this.hi / this.lo)));
    this.#show();
  }

  #show() {
    const text = formatMs(this.ms);
    this.output.value = text;
    this.input.setAttribute('aria-valuetext', text);
  }
}
