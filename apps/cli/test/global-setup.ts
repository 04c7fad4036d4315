export { setup, teardown } from '@darkroom/db/testing';
