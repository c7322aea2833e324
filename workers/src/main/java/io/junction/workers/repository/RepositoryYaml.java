package io.junction.workers.repository;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How the hand-written YAML files of a model repository spell their values: {@code model.yaml}
 * ({@link ModelConfig#toYaml()}) and the model kit's {@code kit.yaml}. Hand-written rather than
 * dumped so that the files keep the compact flow style docs/model-repository.md shows and the
 * same value always gives the same bytes.
 *
 * <p>Every string it writes reads back, through any YAML 1.1 or 1.2 reader, as the same string:
 * never as a number, a boolean or null. It parses nothing; {@link ModelConfig#read} does.
 */
public final class RepositoryYaml {
  /** Plain scalars that every YAML 1.1 and 1.2 reader takes as the same string. */
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");
  /** Words that YAML 1.1 reads as booleans or null; compared in lower case. */
  private static final List<String> RESERVED =
      List.of("true", "false", "yes", "no", "on", "off", "null", "y", "n");

  private RepositoryYaml() {}

  /** A string as a YAML scalar: plain when that is safe, double-quoted with escapes otherwise. */
  public static String scalar(String s) {
    if (PLAIN.matcher(s).matches() && !RESERVED.contains(s.toLowerCase(Locale.ROOT))) {
      return s;
    }
    StringBuilder q = new StringBuilder("\"");
    s.codePoints().forEach(c -> {
      switch (c) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\t' -> q.append("\\t");
        default -> {
          if (printable(c)) {
            q.appendCodePoint(c);
          } else {
            // YAML forbids these characters in a stream, even quoted: only an escape carries them.
            q.append(String.format(Locale.ROOT, "\\u%04x", c));
          }
        }
      }
    });
    return q.append('"').toString();
  }

  /** A list in flow style, {@code [-1, 2048]}: numbers as they are, strings as {@link #scalar}. */
  public static String flowList(List<?> values) {
    return values.stream()
        .map(v -> v instanceof String s ? scalar(s) : String.valueOf(v))
        .collect(Collectors.joining(", ", "[", "]"));
  }

  /**
   * YAML's printable set (its spec, production c-printable) less the line breaks: YAML 1.1 also
   * breaks lines at U+0085, U+2028 and U+2029, which would split a quoted string.
   */
  private static boolean printable(int c) {
    return (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0xD7FF && c != 0x2028 && c != 0x2029)
        || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
  }
}
