/**
 * Image analysis that both the API (reference uploads) and the worker (generated images) need, so
 * neither has to import the other or the engine adapters for it.
 */
export { paletteOf, type DecodeLimits } from './palette.js';
export { sniffImage, type SniffedImage } from './sniff.js';
export { maskToAlphaPng, maskToGreyPng } from './mask.js';
