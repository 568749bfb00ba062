import type { ChannelOptions } from '@grpc/grpc-js';

/**
 * Channel options of every node-to-daemon connection. Keepalive on the node side: a daemon that froze (no FIN, no RST) is noticed within
 * about 8 seconds, and the node reconnects instead of waiting forever.
 */
export const CLIENT_CHANNEL_OPTIONS: ChannelOptions = {
  // See DAEMON_TLS_NAME: the identity check does not use the dialled host.
  'grpc.ssl_target_name_override': 'palyrad',
  'grpc.keepalive_time_ms': 5_000,
  'grpc.keepalive_timeout_ms': 3_000,
  'grpc.keepalive_permit_without_calls': 1,
};
