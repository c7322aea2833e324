package io.junction.engine;

import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A listener that writes down what a run told it, in order, as text: {@code output intent=[intent2]}
 * and {@code reply#0=[t5]}; {@code then} runs after each event (to cancel the run from inside one).
 */
final class RecordingListener implements IterationListener {
  private final List<String> events = new ArrayList<>();
  private volatile Consumer<String> then = e -> {};

  RecordingListener then(Consumer<String> action) {
    this.then = action;
    return this;
  }

  synchronized List<String> events() {
    return List.copyOf(events);
  }

  @Override
  public void onIteration(String step, int iteration, List<Tensor> values) {
    record(step + "#" + iteration + "=" + show(values.get(0)));
  }

  @Override
  public void onOutput(String output, Tensor value) {
    record("output " + output + "=" + show(value));
  }

  private void record(String event) {
    synchronized (this) {
      events.add(event);
    }
    then.accept(event);
  }

  static String show(Tensor t) {
    return t.datatype() == DataType.BYTES ? t.strings().toString()
        : t.datatype() == DataType.FP32 ? Arrays.toString(t.floats()) : Arrays.toString(t.longs());
  }
}
