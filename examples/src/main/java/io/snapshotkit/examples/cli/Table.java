package io.snapshotkit.examples.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A plain-text table: a header row and left-aligned columns padded to their widest cell, two
 * spaces apart, with no trailing spaces. Columns named in {@link #rightAligned} (numbers, sizes)
 * are padded on the left.
 *
 * <p><b>Thread-safety:</b> not thread-safe; build and render on one thread.
 */
final class Table {
  private final List<String> header;
  private final boolean[] right;
  private final List<List<String>> rows = new ArrayList<>();

  private Table(List<String> header) {
    this.header = List.copyOf(header);
    this.right = new boolean[header.size()];
  }

  /** A table with these column titles. */
  static Table of(String... header) {
    return new Table(List.of(header));
  }

  /** Right-aligns the given columns (0-based). */
  Table rightAligned(int... columns) {
    for (int c : columns) {
      right[c] = true;
    }
    return this;
  }

  /** Adds a row; it must have one cell per column. */
  Table row(String... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException("a row of this table has " + header.size() + " cells, not " + cells.length);
    }
    List<String> row = new ArrayList<>(cells.length);
    for (String c : cells) {
      row.add(Objects.requireNonNullElse(c, ""));
    }
    rows.add(row);
    return this;
  }

  /** Whether the table has no rows. */
  boolean isEmpty() {
    return rows.isEmpty();
  }

  /** The rendered lines, header first. */
  List<String> lines() {
    int[] widths = new int[header.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = header.get(i).length();
    }
    for (List<String> row : rows) {
      for (int i = 0; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    List<String> out = new ArrayList<>(rows.size() + 1);
    out.add(render(header, widths));
    for (List<String> row : rows) {
      out.add(render(row, widths));
    }
    return out;
  }

  private String render(List<String> cells, int[] widths) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      String cell = cells.get(i);
      String pad = " ".repeat(widths[i] - cell.length());
      if (i > 0) {
        sb.append("  ");
      }
      if (right[i]) {
        sb.append(pad).append(cell);
      } else {
        sb.append(cell);
        if (i < cells.size() - 1) {
          sb.append(pad);
        }
      }
    }
    return sb.toString().stripTrailing();
  }
}
