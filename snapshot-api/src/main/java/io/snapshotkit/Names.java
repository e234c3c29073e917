package io.snapshotkit;

/** Shared validation of identifier text. Package-private: the rules surface through each type's factory. */
final class Names {
  private Names() {}

  /** Identifier characters: letters, digits and {@code . _ - :}; must start with a letter or digit. */
  static String requireIdentifier(String kind, String value, int maxLength) {
    if (value == null) {
      throw SnapshotException.invalid(kind + " is required");
    }
    if (value.isEmpty() || value.length() > maxLength) {
      throw SnapshotException.invalid(kind + " must be 1 to " + maxLength + " characters long");
    }
    char first = value.charAt(0);
    if (!Character.isLetterOrDigit(first) || first > 127) {
      throw SnapshotException.invalid(kind + " must start with an ASCII letter or digit");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == '-' || c == ':';
      if (!ok) {
        throw SnapshotException.invalid(
            kind + " may contain only letters, digits and . _ - : (found a character at position " + i + " that is not)");
      }
    }
    return value;
  }
}
