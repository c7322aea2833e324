package io.junction.models.quality;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.junction.models.conversation.ResponderModel;
import io.junction.models.conversation.Vocabulary;
import io.junction.workers.repository.ModelRepository;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Generates a reply the way the pipeline's decode loop does: start from context [BOS, BOS], call
 * the exported {@code responder}, append its greedy {@code next_id}, shift the context, stop at
 * EOS or after a step limit.
 */
public final class GreedyDecoder implements AutoCloseable {
  private final SavedModelRunner responder;

  /** A decoded reply: its tokens (EOS not included) and whether EOS ended it. */
  public record Reply(List<String> tokens, boolean endedWithEos) {
    public String text() {
      return String.join(" ", tokens);
    }
  }

  public GreedyDecoder(ModelRepository repository) {
    this.responder = SavedModelRunner.open(repository, ResponderModel.NAME);
  }

  public Reply decode(long intentId, int maxSteps) {
    long previous2 = Vocabulary.BOS;
    long previous1 = Vocabulary.BOS;
    List<String> tokens = new ArrayList<>();
    for (int step = 0; step < maxSteps; step++) {
      try (NDManager manager = NDManager.newBaseManager("TensorFlow")) {
        Map<String, NDArray> out = responder.run(Map.of(
            "intent_id", manager.create(new long[] {intentId}, new Shape(1)),
            "context", manager.create(new long[] {previous2, previous1}, new Shape(1, 2))));
        long next = out.get("next_id").toLongArray()[0];
        if (next == Vocabulary.EOS) {
          return new Reply(tokens, true);
        }
        tokens.add(out.get("next_token").toStringArray(StandardCharsets.UTF_8)[0]);
        previous2 = previous1;
        previous1 = next;
      }
    }
    return new Reply(tokens, false);
  }

  @Override
  public void close() {
    responder.close();
  }
}
