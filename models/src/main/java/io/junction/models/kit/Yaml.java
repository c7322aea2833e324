package io.junction.models.kit;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The few YAML spellings the kit's hand-written files need. */
public final class Yaml {
  /** Plain scalars that every YAML 1.1 and 1.2 reader takes as the same string. */
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");
  private static final List<String> RESERVED =
      List.of("true", "false", "yes", "no", "on", "off", "null", "y", "n", "~");

  private Yaml() {}

  /** A string as a YAML scalar: plain when safe, double-quoted (JSON escaping) otherwise. */
  public static String scalar(String s) {
    if (PLAIN.matcher(s).matches() && !RESERVED.contains(s.toLowerCase(java.util.Locale.ROOT))) {
      return s;
    }
    StringBuilder q = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\t' -> q.append("\\t");
        default -> {
          if (c < 0x20) {
            q.append(String.format("\\u%04x", (int) c));
          } else {
            q.append(c);
          }
        }
      }
    }
    return q.append('"').toString();
  }

  /** A list of numbers in flow style: {@code [-1, 2048]}. */
  public static String flowList(List<? extends Number> values) {
    return values.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
  }
}
