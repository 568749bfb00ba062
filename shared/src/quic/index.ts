export { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, FrameDecoder, decodeJsonPayload, encodeFrame, encodeJsonFrame } from './framing.js';
export { FrameReader, type ByteReader } from './FrameReader.js';
export { checkPeerCertificate, matchesPinnedFingerprint, parseSha256Fingerprint, type PeerCheck, type PeerRole } from './peerCertificate.js';
export * from './protocol.js';
export { loadQuic, quicLogger, type QuicModule } from './loadQuic.js';
