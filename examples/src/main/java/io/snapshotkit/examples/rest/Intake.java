package io.snapshotkit.examples.rest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.snapshotkit.examples.internal.JsonViews;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first stage of every request, on a {@link RequestReaders} thread: reads the body (the JDK
 * server has read the line and headers), answers 413 to an oversized one, and hands the request
 * to the executor that runs {@link Routes}. A request the executor refuses (its bounded queue is
 * full) is answered 503 at once instead of waiting without end.
 *
 * <p><b>Thread-safety:</b> thread-safe (stateless apart from immutable collaborators).
 */
final class Intake implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(Intake.class);
  /** Request bodies are tiny; anything bigger is refused rather than buffered. */
  static final int MAX_BODY_BYTES = 64 * 1024;
  /**
   * How much of an oversized body is read and dropped after the 413 is sent: closing a connection
   * with unread request bytes resets it, and the reset can destroy the answer before the client
   * reads it. A body beyond this (or than the request deadline allows) still gets the reset.
   */
  static final long MAX_DRAIN_BYTES = 64L << 20;

  private final Routes routes;
  private final Executor executor;

  Intake(Routes routes, Executor executor) {
    this.routes = routes;
    this.executor = executor;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    InputStream in = exchange.getRequestBody();
    byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
    if (body.length > MAX_BODY_BYTES) {
      tooLarge(exchange, in);
      return;
    }
    if (!RequestReaders.requestRead()) {
      throw new IOException("the client took too long to send its request");
    }
    try {
      executor.execute(() -> serve(exchange, body));
    } catch (RejectedExecutionException e) {
      exchange.getResponseHeaders().set("Retry-After", "1");
      Response.sendError(exchange, 503, "BUSY",
          "the server is busy: every request thread is taken and its queue is full; retry in a moment");
    }
  }

  private void serve(HttpExchange exchange, byte[] body) {
    try {
      routes.handle(exchange, body);
    } catch (IOException | RuntimeException e) {
      log.debug("{} {}: the answer could not be sent", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
      exchange.close();
    }
  }

  /** Answers 413 first (a client reading while it sends sees it at once), then drops the rest of the body. */
  private static void tooLarge(HttpExchange exchange, InputStream in) throws IOException {
    byte[] json = JsonViews.bytes(JsonViews.error("PAYLOAD_TOO_LARGE",
        "request bodies are limited to " + MAX_BODY_BYTES + " bytes; send a smaller JSON object"));
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      exchange.sendResponseHeaders(413, json.length);
      OutputStream out = exchange.getResponseBody();
      out.write(json);
      out.flush();
      long dropped = 0;
      byte[] sink = new byte[64 * 1024];
      for (int n; dropped < MAX_DRAIN_BYTES && (n = in.read(sink)) >= 0; ) {
        dropped += n;
      }
    }
  }
}
