package io.junction.models.conversation;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the kit's shipped two-column files ({@code key<TAB>text}; blank lines and {@code #}
 * comments skipped), naming the resource and line of any malformed row.
 */
final class TsvResource {
  record Row(String key, String text, int line) {}

  private TsvResource() {}

  static List<Row> read(String name) {
    String path = "/io/junction/models/conversation/" + name;
    try (InputStream in = TsvResource.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("resource " + path + " missing from the class path");
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      List<Row> rows = new ArrayList<>();
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] fields = line.split("\t", -1);
        if (fields.length != 2 || fields[0].isBlank() || fields[1].isBlank()) {
          throw new IllegalStateException(
              name + ":" + number + ": '" + line + "' (expected: key<TAB>text)");
        }
        rows.add(new Row(fields[0].strip(), fields[1].strip(), number));
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + path, e);
    }
  }
}
