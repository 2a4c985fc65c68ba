// The image stage: the input image on one canvas, the task's drawing on a second canvas stacked above it.

/**
 * Both canvases share one display size (CSS px) that fits the image into `maxSide`; small images are scaled up
 * without smoothing so their real pixels stay visible. Drawing on the overlay uses source-image coordinates.
 */
export class Stage {
  /**
   * @param {HTMLCanvasElement} imageCanvas
   * @param {HTMLCanvasElement} overlayCanvas
   * @param {number} [maxSide] longest displayed side (CSS px)
   */
  constructor(imageCanvas, overlayCanvas, maxSide = 384) {
    this.imageCanvas = imageCanvas;
    this.overlayCanvas = overlayCanvas;
    this.maxSide = maxSide;
    /** Source image size (px), after EXIF orientation, as the server sees it. */
    this.source = { width: maxSide, height: maxSide };
    this.display = { width: maxSide, height: maxSide };
    /** False when the browser cannot decode the format (e.g. TIFF): results are then drawn on a blank stage. */
    this.previewable = false;
    /** Opacity in [0, 1] of dense maps (segmentation, depth) drawn over the image; boxes stay opaque. */
    this.opacity = 0.65;
  }

  /**
   * Shows `blob`. Resolves once drawn; a format the browser cannot decode leaves a blank stage.
   * @param {Blob} blob
   * @param {string} description for the canvas' accessible name
   */
  async setImage(blob, description) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
    } catch {
      bitmap = undefined;
    }
    this.previewable = bitmap !== undefined;
    this.#resize(bitmap?.width ?? this.maxSide, bitmap?.height ?? this.maxSide);
    const ctx = this.#context(this.imageCanvas);
    ctx.fillStyle = '#222';
    ctx.fillRect(0, 0, this.display.width, this.display.height);
    if (bitmap !== undefined) {
      ctx.imageSmoothingEnabled = bitmap.width >= this.display.width;
      ctx.drawImage(bitmap, 0, 0, this.display.width, this.display.height);
      bitmap.close();
    }
    this.imageCanvas.setAttribute('aria-label', this.previewable ? description : `${description} (this browser cannot preview the format)`);
    this.clearOverlay();
  }

  /** Adopts the source size reported by the server when the browser could not decode the image. */
  adoptSourceSize(width, height) {
    if (this.previewable || !(width > 0 && height > 0)) return;
    this.#resize(width, height);
    const ctx = this.#context(this.imageCanvas);
    ctx.fillStyle = '#222';
    ctx.fillRect(0, 0, this.display.width, this.display.height);
  }

  clearOverlay() {
    const ctx = this.#context(this.overlayCanvas);
    ctx.clearRect(0, 0, this.display.width, this.display.height);
    this.overlayCanvas.dataset.drawn = 'none';
  }

  /**
   * The overlay's 2D context, cleared, transformed so that one unit = one CSS px of the display.
   * @param {string} kind what is drawn (recorded in `data-drawn` for tests and styling)
   * @returns {{ctx: CanvasRenderingContext2D, scaleX: number, scaleY: number, width: number, height: number}}
   */
  overlay(kind) {
    this.clearOverlay();
    this.overlayCanvas.dataset.drawn = kind;
    const ctx = this.#context(this.overlayCanvas);
    return {
      ctx,
      scaleX: this.display.width / this.source.width,
      scaleY: this.display.height / this.source.height,
      width: this.display.width,
      height: this.display.height,
    };
  }

  #resize(width, height) {
    this.source = { width, height };
    const scale = this.maxSide / Math.max(width, height);
    this.display = { width: Math.round(width * scale), height: Math.round(height * scale) };
    const dpr = window.devicePixelRatio || 1;
    for (const canvas of [this.imageCanvas, this.overlayCanvas]) {
      canvas.width = Math.round(this.display.width * dpr);
      canvas.height = Math.round(this.display.height * dpr);
      // Height follows the width through the canvas' aspect ratio, also when max-width shrinks it.
      canvas.style.setProperty('width', `${this.display.width}px`);
    }
  }

  /** @param {HTMLCanvasElement} canvas */
  #context(canvas) {
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return ctx;
  }
}
