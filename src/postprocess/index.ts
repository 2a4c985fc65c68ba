export { labelOf, softmax, topK, type ClassPrediction } from './classify.js';
export { classColour, rampColour, type Rgb } from './colour.js';
export {
  DEPTH_JSON_MAX_SIDE,
  DEPTH_PNG_METRES_PER_UNIT,
  depthColourPng,
  depthMap,
  depthPng16,
  depthSummary,
  type DepthMap,
  type DepthSummary,
} from './depth.js';
export { decodeCenterNet, type CenterNetOutputs, type Detection, type DetectOptions } from './detect.js';
export { resamplePlane } from './resample.js';
export { BILINEAR_LOGIT_BUDGET, describeSegments, encodeRle, labelMap, type LabelMap, type Rle, type SegmentClass } from './segment.js';
export { classIndexPng, overlayPng } from './segment-image.js';
