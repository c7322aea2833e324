package io.junction.models.conversation;

import java.util.List;
import java.util.TreeSet;

/**
 * The shipped utterances with their fixed split: training rows from utterances-train.tsv,
 * held-out rows (used only for measuring accuracy) from utterances-heldout.tsv; and the
 * follow-up turns, split the same way (followups-train.tsv, followups-heldout.tsv).
 *
 * <p>A follow-up is not an intent: the intents' classifier learns the intent utterances only
 * (so a follow-up never becomes an intent id), and a second classifier learns to tell follow-ups
 * ({@link #FOLLOW_UP}) from utterances that carry an intent.
 *
 * @param labels the intents, sorted; an intent id is an index into this list
 */
public record UtteranceSet(List<String> labels, List<Utterance> train, List<Utterance> heldOut,
    List<FollowUp> followUpTrain, List<FollowUp> followUpHeldOut) {
  /** What the follow-up classifier calls a text that carries no intent of its own. */
  public static final String FOLLOW_UP = "followup";

  public UtteranceSet {
    labels = List.copyOf(labels);
    train = List.copyOf(train);
    heldOut = List.copyOf(heldOut);
    followUpTrain = List.copyOf(followUpTrain);
    followUpHeldOut = List.copyOf(followUpHeldOut);
  }

  /**
   * Loads the four files, filling slots with a generator seeded by {@code slotSeed}. The
   * follow-up files are read last, so they leave the slots of the intent utterances as they were.
   */
  public static UtteranceSet load(long slotSeed) {
    SlotFiller filler = SlotFiller.load(slotSeed);
    List<Utterance> train = read("utterances-train.tsv", filler);
    List<Utterance> heldOut = read("utterances-heldout.tsv", filler);
    List<String> labels = List.copyOf(new TreeSet<>(train.stream().map(Utterance::intent).toList()));
    for (Utterance u : heldOut) {
      requireIntent(labels, u.intent(), "utterances-heldout.tsv: intent ");
    }
    if (labels.contains(FOLLOW_UP)) {
      throw new IllegalStateException("utterances-train.tsv: intent " + FOLLOW_UP
          + " (expected: follow-ups in followups-train.tsv, not among the intents)");
    }
    List<FollowUp> followUpTrain = readFollowUps("followups-train.tsv", filler, labels);
    List<FollowUp> followUpHeldOut = readFollowUps("followups-heldout.tsv", filler, labels);
    return new UtteranceSet(labels, train, heldOut, followUpTrain, followUpHeldOut);
  }

  public int classOf(String intent) {
    int id = labels.indexOf(intent);
    if (id < 0) {
      throw new IllegalArgumentException("intent: " + intent + " (expected: one of " + labels + ")");
    }
    return id;
  }

  private static void requireIntent(List<String> labels, String intent, String what) {
    if (!labels.contains(intent)) {
      throw new IllegalStateException(what + intent + " (expected: one of the training intents " + labels + ")");
    }
  }

  private static List<FollowUp> readFollowUps(String name, SlotFiller filler, List<String> labels) {
    return TsvResource.read(name).stream()
        .map(r -> {
          requireIntent(labels, r.key(), name + ":" + r.line() + ": previous intent ");
          return new FollowUp(r.key(), filler.fill(r.text()));
        })
        .toList();
  }

  private static List<Utterance> read(String name, SlotFiller filler) {
    return TsvResource.read(name).stream()
        .map(r -> new Utterance(filler.fill(r.text()), r.key()))
        .toList();
  }
}
