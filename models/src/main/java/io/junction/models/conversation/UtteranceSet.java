package io.junction.models.conversation;

import java.util.List;
import java.util.TreeSet;

/**
 * The shipped utterances with their fixed split: training rows from utterances-train.tsv,
 * held-out rows (used only for measuring accuracy) from utterances-heldout.tsv.
 *
 * @param labels the intents, sorted; a class id is an index into this list
 */
public record UtteranceSet(List<String> labels, List<Utterance> train, List<Utterance> heldOut) {

  public UtteranceSet {
    labels = List.copyOf(labels);
    train = List.copyOf(train);
    heldOut = List.copyOf(heldOut);
  }

  /** Loads both files, filling slots with a generator seeded by {@code slotSeed}. */
  public static UtteranceSet load(long slotSeed) {
    SlotFiller filler = SlotFiller.load(slotSeed);
    List<Utterance> train = read("utterances-train.tsv", filler);
    List<Utterance> heldOut = read("utterances-heldout.tsv", filler);
    List<String> labels = List.copyOf(new TreeSet<>(train.stream().map(Utterance::intent).toList()));
    for (Utterance u : heldOut) {
      if (!labels.contains(u.intent())) {
        throw new IllegalStateException("utterances-heldout.tsv: intent " + u.intent()
            + " (expected: one of the training intents " + labels + ")");
      }
    }
    return new UtteranceSet(labels, train, heldOut);
  }

  public int classOf(String intent) {
    int id = labels.indexOf(intent);
    if (id < 0) {
      throw new IllegalArgumentException("intent: " + intent + " (expected: one of " + labels + ")");
    }
    return id;
  }

  private static List<Utterance> read(String name, SlotFiller filler) {
    return TsvResource.read(name).stream()
        .map(r -> new Utterance(filler.fill(r.text()), r.key()))
        .toList();
  }
}
