import { X509Certificate } from 'node:crypto';
import type { Http2SecureServer } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { checkPeerCertificate } from '@palyra/shared/quic';
import { pemCertificates } from '@palyra/shared/x509';

/**
 * Why TLS refused the client certificate of a connection, for the error a NodeService call on
 * it gets. The port accepts connections whose certificate fails verification (pairing needs
 * no certificate), and grpc-js then shows the handler an empty auth context, as if none had
 * been presented: "a certificate is required" would be all a node with an expired one hears.
 * This keeps the TLS sockets that were not authorized, by the `ADDRESS:PORT` grpc-js reports
 * as a call's peer, until they close (so at most one per connection the ConnectionGuard let
 * in), and explains the refusal with the checks the QUIC port runs (checkPeerCertificate)
 * only when a call asks.
 */
export class RefusedClientCertificates {
  private readonly byPeer = new Map<string, TLSSocket>();
  private ca: { pem: string; x509: X509Certificate[] } | undefined;

  constructor(private readonly caCertPem: () => string) {}

  /** Hooks into one of grpc-js's http2 servers (see grpcHttp2Servers). */
  attach(server: Http2SecureServer): void {
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.authorized) return;
      const peer = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`;
      this.byPeer.set(peer, socket);
      socket.once('close', () => {
        if (this.byPeer.get(peer) === socket) this.byPeer.delete(peer);
      });
    });
  }

  /** What is wrong with the certificate presented on the connection of `peer`; undefined when none was presented. */
  problem(peer: string, now: Date = new Date()): string | undefined {
    const socket = this.byPeer.get(peer);
    const raw = socket?.getPeerCertificate()?.raw;
    if (socket === undefined || raw === undefined || raw.length === 0) return undefined;
    const check = checkPeerCertificate(raw, this.caX509(), 'node', now);
    return check.ok ? `TLS refused it (${String(socket.authorizationError)})` : check.problem;
  }

  /** Every CA of the bundle (two during a CA rotation). */
  private caX509(): X509Certificate[] {
    const pem = this.caCertPem();
    if (this.ca?.pem !== pem) this.ca = { pem, x509: pemCertificates(pem).map((der) => new X509Certificate(der)) };
    return this.ca.x509;
  }
}
