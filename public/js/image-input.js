// Where images come from: the bundled samples, a file chooser, or a file dropped on the drop zone.
import { el } from './dom.js';

/**
 * @typedef {{blob: Blob, name: string, description: string, suggestedTask?: string}} PickedImage
 */

export class ImageInput {
  /**
   * @param {{gallery: HTMLElement, dropzone: HTMLElement, file: HTMLInputElement}} parts
   * @param {(image: PickedImage) => void} onPick
   */
  constructor(parts, onPick) {
    this.parts = parts;
    this.onPick = onPick;
    /** @type {HTMLButtonElement[]} */
    this.buttons = [];
    parts.file.addEventListener('change', () => {
      const file = parts.file.files?.[0];
      if (file !== undefined) this.#pickFile(file);
      parts.file.value = ''; // the same file picked twice still fires change
    });
    const { dropzone } = parts;
    dropzone.addEventListener('dragover', (event) => {
      event.preventDefault();
      dropzone.classList.add('dragging');
    });
    dropzone.addEventListener('dragleave', () => dropzone.classList.remove('dragging'));
    dropzone.addEventListener('drop', (event) => {
      event.preventDefault();
      dropzone.classList.remove('dragging');
      const file = event.dataTransfer?.files?.[0];
      if (file !== undefined) this.#pickFile(file);
    });
  }

  /**
   * Loads `samples/index.json` and shows one button per sample.
   * @returns {Promise<{file: string, title: string, kind: string, task: string, truth: string[]}[]>}
   */
  async loadSamples() {
    const response = await fetch('/samples/index.json');
    if (!response.ok) throw new Error(`samples/index.json: HTTP ${response.status}`);
    const { samples } = await response.json();
    for (const sample of samples) {
      const label = sample.kind === 'item' ? sample.title : sample.title.replace(/^Scene (\d+):.*/, 'Scene $1');
      const button = /** @type {HTMLButtonElement} */ (el('button', {
        type: 'button', class: 'sample', 'aria-pressed': 'false', 'data-file': sample.file,
        title: `${sample.title} — ${sample.source}; contains ${sample.truth.join(', ')}`,
      }, [el('img', { src: `/samples/${sample.file}`, alt: '', width: 48, height: 48 }), label]));
      button.addEventListener('click', () => void this.pickSample(sample, button));
      this.buttons.push(button);
      this.parts.gallery.append(button);
    }
    return samples;
  }

  /** Fetches a sample and hands it on. */
  async pickSample(sample, button = this.buttons.find((b) => b.dataset.file === sample.file)) {
    const response = await fetch(`/samples/${sample.file}`);
    const blob = await response.blob();
    this.#press(button);
    const description = `${sample.kind === 'item' ? 'Fashion-MNIST item' : 'Synthetic scene'}: ${sample.truth.join(', ')}`;
    this.onPick({ blob, name: sample.file, description, suggestedTask: sample.task });
  }

  /** @param {File} file */
  #pickFile(file) {
    this.#press(undefined);
    this.onPick({ blob: file, name: file.name, description: `Uploaded image ${file.name}` });
  }

  /** @param {HTMLButtonElement | undefined} pressed */
  #press(pressed) {
    for (const b of this.buttons) b.setAttribute('aria-pressed', String(b === pressed));
  }
}
