package io.junction.engine;

import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The session values a pipeline may read, as references {@code session.<key>}: implicit inputs
 * that the caller of a run supplies as tensors named {@code session.<key>} (the orchestrator
 * does, from the conversation's history) and that a caller may leave out, which gives the empty
 * session's value. A pipeline that reads none of them never sees them: tensors of these names
 * given to it are dropped. The engine knows only the names, types and empty values; what a
 * session is belongs to the orchestrator.
 *
 * <ul>
 *   <li>{@code session.previous_intent}: BYTES [1], the intent of the session's last turn, "" when none.
 *   <li>{@code session.turns}: INT64 [1], how many turns the session has had before this one, 0 when none.
 * </ul>
 */
public final class SessionInputs {
  public static final String PREVIOUS_INTENT = TensorRef.SESSION + ".previous_intent";
  public static final String TURNS = TensorRef.SESSION + ".turns";

  /** Every session value by its tensor name, in the order a plan appends those it reads. */
  private static final Map<String, TensorSpec> SPECS;

  static {
    Map<String, TensorSpec> specs = new LinkedHashMap<>();
    specs.put(PREVIOUS_INTENT, new TensorSpec(PREVIOUS_INTENT, DataType.BYTES, List.of(1L)));
    specs.put(TURNS, new TensorSpec(TURNS, DataType.INT64, List.of(1L)));
    SPECS = Collections.unmodifiableMap(specs);
  }

  private SessionInputs() {}

  /** The tensors of one session's state, to give a run alongside its own inputs. */
  public static List<Tensor> of(String previousIntent, long turns) {
    return List.of(Tensor.ofStrings(PREVIOUS_INTENT, new long[] {1}, List.of(previousIntent)),
        Tensor.ofLongs(TURNS, new long[] {1}, turns));
  }

  /** The spec of a session value by its tensor name ({@code session.turns}), if there is one. */
  static Optional<TensorSpec> spec(String tensorName) {
    return Optional.ofNullable(SPECS.get(tensorName));
  }

  /** Tensor names of every session value, in order. */
  static List<String> names() {
    return List.copyOf(SPECS.keySet());
  }

  /** The empty session's value of one session input. */
  static Tensor empty(String tensorName) {
    return switch (tensorName) {
      case PREVIOUS_INTENT -> Tensor.ofStrings(PREVIOUS_INTENT, new long[] {1}, List.of(""));
      case TURNS -> Tensor.ofLongs(TURNS, new long[] {1}, 0L);
      default -> throw new IllegalArgumentException(tensorName + ": not a session value (expected one of: " + names() + ")");
    };
  }
}
