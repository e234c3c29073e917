package io.snapshotkit.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of the S3 server that answers the next {@link #failNext} connections'
 * first request with {@code 503 SlowDown} (as S3 throttles) and closes them; every other
 * connection is piped through unchanged, so request signatures stay valid.
 */
final class SlowDownProxy implements AutoCloseable {
  private static final byte[] SLOW_DOWN_BODY = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
      + "<Message>Please reduce your request rate.</Message></Error>").getBytes(StandardCharsets.UTF_8);
  final AtomicInteger failNext = new AtomicInteger();
  final AtomicInteger injected = new AtomicInteger();
  private final ServerSocket server;
  private final int upstream;
  private final Thread acceptor;

  SlowDownProxy(int upstreamPort) throws IOException {
    this.upstream = upstreamPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::accept, "slowdown-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
          Thread t = new Thread(() -> slowDown(client), "slowdown-503");
          t.setDaemon(true);
          t.start();
        } else {
          Socket up = new Socket(InetAddress.getLoopbackAddress(), upstream);
          pipe(client, up);
          pipe(up, client);
        }
      } catch (IOException e) {
        return;
      }
    }
  }

  private void slowDown(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      int matched = 0;
      byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      int b;
      while (matched < 4 && (b = in.read()) >= 0) {
        matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
      }
      OutputStream out = client.getOutputStream();
      out.write(("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: " + SLOW_DOWN_BODY.length
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(SLOW_DOWN_BODY);
      out.flush();
      injected.incrementAndGet();
      client.shutdownOutput();
      client.setSoTimeout(2000);
      in.skip(1 << 20); // let the client finish sending before the close, so it reads the 503
    } catch (IOException e) {
      // the client gave up on this connection: it retries on another
    }
  }

  private static void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[1 << 16];
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
          out.flush();
        }
        to.shutdownOutput();
      } catch (IOException e) {
        // one side closed
      } finally {
        try {
          to.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }, "slowdown-pipe");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
