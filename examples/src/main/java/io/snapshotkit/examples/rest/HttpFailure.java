package io.snapshotkit.examples.rest;

/**
 * A failure at the HTTP layer that has no {@link io.snapshotkit.ErrorCode}: 401, 404 route, 405.
 * {@link Routes#handle} answers it with its status and code.
 */
final class HttpFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final int status;
  final String code;
  /** For a 405: the methods the route takes, for the {@code Allow} header. */
  final String allow;

  HttpFailure(int status, String code, String message) {
    this(status, code, message, null);
  }

  HttpFailure(int status, String code, String message, String allow) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.allow = allow;
  }
}
