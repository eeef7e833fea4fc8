export { changeToWire } from '../../../src-shared/domain/versioning/version-change-wire.js';
