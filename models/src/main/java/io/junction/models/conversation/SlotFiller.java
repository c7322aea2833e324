package io.junction.models.conversation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills {@code {city}}, {@code {day}} and {@code {cuisine}} in the shipped utterances with values
 * from slots.tsv. The values come from one seeded generator consumed in file order, so the same
 * seed always yields the same utterances, and no slot value is tied to one intent.
 */
final class SlotFiller {
  private static final Pattern SLOT = Pattern.compile("\\{([a-z_]+)}");

  private final Map<String, List<String>> values;
  private final Random random;

  private SlotFiller(Map<String, List<String>> values, long seed) {
    this.values = values;
    this.random = new Random(seed);
  }

  static SlotFiller load(long seed) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    for (TsvResource.Row row : TsvResource.read("slots.tsv")) {
      values.computeIfAbsent(row.key(), k -> new java.util.ArrayList<>()).add(row.text());
    }
    return new SlotFiller(values, seed);
  }

  String fill(String template) {
    Matcher m = SLOT.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      List<String> choices = values.get(m.group(1));
      if (choices == null) {
        throw new IllegalStateException("slot {" + m.group(1) + "} in '" + template
            + "' (expected: one of " + values.keySet() + ")");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(choices.get(random.nextInt(choices.size()))));
    }
    m.appendTail(out);
    return out.toString();
  }
}
