package io.junction.models.quality;

import io.junction.models.conversation.ResponderModel;
import io.junction.models.conversation.Vocabulary;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelRepository;
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
      Map<String, Tensor> out = responder.run(
          Tensor.ofLongs("intent_id", new long[] {1}, intentId),
          Tensor.ofLongs("context", new long[] {1, 2}, previous2, previous1),
          // temperature 0: greedy, whatever the seed and iteration
          Tensor.ofFloats("temperature", new long[] {1}, 0f),
          Tensor.ofInts("top_k", new long[] {1}, 0),
          Tensor.ofLongs("seed", new long[] {1}, 0L),
          Tensor.ofLongs("iteration", new long[] {1}, step));
      long next = out.get("next_id").longs()[0];
      if (next == Vocabulary.EOS) {
        return new Reply(tokens, true);
      }
      tokens.add(out.get("next_token").strings().get(0));
      previous2 = previous1;
      previous1 = next;
    }
    return new Reply(tokens, false);
  }

  @Override
  public void close() {
    responder.close();
  }
}
