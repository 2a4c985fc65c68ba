export { imageErrorFromSharp, openImage, type ImageInput, type OpenedImage } from './image-source.js';
export { Preprocessor, type PreprocessedImage } from './preprocessor.js';
export { toPlanarTensor } from './tensor.js';
export { fitGeometry, toSource, type Geometry, type Size } from './geometry.js';
