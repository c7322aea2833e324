package io.junction.orchestrator.api;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.junction.engine.IterationListener;
import io.junction.orchestrator.pipeline.IterationOutputs;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseResponse;
import io.junction.proto.v1.IntentEvent;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The events of one streamed turn, made from what the chat pipeline tells as it runs: the
 * {@code intent} event once its label and confidence are both told, then one {@code token} event
 * per token of the loop whose iterations make up the {@code tokens} output, each as it comes, and
 * last {@code done}. A token told before the intent waits for it (at most the loop's
 * max_iterations of them), so the intent always comes first. Knows the chat pipeline's output
 * names; nothing else of the pipeline, and nothing of gRPC beyond the messages.
 */
final class ConverseEvents implements IterationListener {
  private static final List<String> TOKENS = List.of(ConversationService.TOKENS);
  private final Consumer<ConverseEvent> sink;
  /** Which loop iterations carry the pipeline's tokens output. */
  private final IterationOutputs iterations;
  /** Microseconds since the request arrived. */
  private final LongSupplier elapsedMicros;

  @GuardedBy("this") private String intent;
  @GuardedBy("this") private Float confidence;
  @GuardedBy("this") private boolean intentSent;
  @GuardedBy("this") private final List<String> waiting = new ArrayList<>();
  @GuardedBy("this") private int tokensSent;
  @GuardedBy("this") private long firstTokenMicros;

  ConverseEvents(Consumer<ConverseEvent> sink, IterationOutputs iterations, LongSupplier elapsedMicros) {
    this.sink = sink;
    this.iterations = iterations;
    this.elapsedMicros = elapsedMicros;
  }

  @Override
  public synchronized void onOutput(String output, Tensor value) {
    if (value.elementCount() != 1) {
      return; // not the one intent of a turn; the reply's own translation reports it
    }
    if (output.equals("intent") && value.datatype() == DataType.BYTES) {
      intent = value.strings().get(0);
    } else if (output.equals("confidence") && value.datatype() == DataType.FP32) {
      confidence = value.floats()[0];
    }
    if (intent != null && confidence != null && !intentSent) {
      sendIntent(intent, confidence);
    }
  }

  @Override
  public synchronized void onIteration(String step, int iteration, List<Tensor> values) {
    for (Tensor t : iterations.select(step, values, TOKENS)) {
      if (t.datatype() == DataType.BYTES) {
        for (String token : t.strings()) {
          if (intentSent) {
            sendToken(token);
          } else {
            waiting.add(token);
          }
        }
      }
    }
  }

  /**
   * The last event: the whole reply, with the time its first token was sent. Every output is
   * told before a run completes, so the intent has been sent by now; should it not have been, it
   * goes out first, from the reply. A chat pipeline whose tokens come from no loop streams none:
   * its tokens go out here, before the reply, so that the tokens sent are always the reply's.
   */
  synchronized ConverseEvent done(ConverseResponse reply) {
    if (!intentSent) {
      sendIntent(reply.getIntent(), reply.getConfidence());
    }
    if (tokensSent == 0) {
      reply.getTokensList().forEach(this::sendToken);
    }
    return ConverseEvent.newBuilder()
        .setDone(reply.toBuilder().setFirstTokenMicros(tokensSent == 0 ? 0 : firstTokenMicros)).build();
  }

  @GuardedBy("this")
  private void sendIntent(String label, float probability) {
    intentSent = true;
    sink.accept(ConverseEvent.newBuilder()
        .setIntent(IntentEvent.newBuilder().setIntent(label).setConfidence(probability)).build());
    for (String token : waiting) {
      sendToken(token);
    }
    waiting.clear();
  }

  @GuardedBy("this")
  private void sendToken(String token) {
    if (tokensSent++ == 0) {
      firstTokenMicros = elapsedMicros.getAsLong();
    }
    sink.accept(ConverseEvent.newBuilder().setToken(token).build());
  }
}
