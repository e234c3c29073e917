package io.snapshotkit.examples.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.examples.internal.JsonViews;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A response to send: status and JSON body (null for no body), a metrics text, or a streamed
 * download; and how each is written to the exchange, which it then closes.
 *
 * <p><b>Thread-safety:</b> immutable.
 */
record Response(int status, JsonNode body, String text, FileRoutes.Download download) {
  /** The logger of the routes, whose failures these are. */
  private static final Logger log = LoggerFactory.getLogger(Routes.class);

  /** The content type of Prometheus's text exposition format, version 0.0.4. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  Response(int status, JsonNode body, String text) {
    this(status, body, text, null);
  }

  Response(int status, JsonNode body) {
    this(status, body, null);
  }

  static Response ok(JsonNode body) {
    return new Response(200, body);
  }

  /** Answers an HTTP-level failure that has no {@link ErrorCode} (503 BUSY), shaped as every error is. */
  static void sendError(HttpExchange ex, int status, String code, String message) throws IOException {
    send(ex, new Response(status, JsonViews.error(code, message)));
  }

  /** Writes {@code reply} to the exchange and closes it; a download that fails after its status was sent is cut short. */
  static void send(HttpExchange ex, Response reply) throws IOException {
    try (ex) {
      if (reply.download() != null) {
        FileRoutes.Download d = reply.download();
        ex.getResponseHeaders().set("Content-Type", d.contentType());
        ex.sendResponseHeaders(d.status(), d.length() < 0 ? 0 : d.length() == 0 ? -1 : d.length());
        try (OutputStream out = ex.getResponseBody()) {
          d.body().write(out);
        } catch (RuntimeException e) {
          // the status is sent: all that is left is to cut the response short, which the client sees
          log.error("{} failed after its response started; the client got a truncated body",
              ex.getRequestURI().getPath(), e);
        }
        return;
      }
      if (reply.text() != null) {
        byte[] text = reply.text().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", PROMETHEUS_TEXT);
        ex.sendResponseHeaders(reply.status(), text.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(text);
        }
        return;
      }
      if (reply.body() == null) {
        ex.sendResponseHeaders(reply.status(), -1);
        return;
      }
      byte[] bytes = JsonViews.bytes(reply.body());
      ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      ex.sendResponseHeaders(reply.status(), bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}
