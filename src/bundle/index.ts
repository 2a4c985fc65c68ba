/** The bundle format: manifest types, validation and loading (see docs/contracts.md §1). */
export { BundleError } from './bundle-error.js';
export { loadBundle, type LoadBundleOptions, type LoadedBundle } from './load-bundle.js';
export * from './manifest.js';
