package io.junction.orchestrator.api;

import io.junction.proto.v1.ConverseRequest;
import io.junction.tensor.Tensor;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A ConverseRequest's decoding options, checked, and what the chat pipeline gets of them: its
 * {@code temperature}, {@code top_k} and {@code seed} inputs. A greedy request (temperature 0)
 * gives none of them, so that it runs with the pipeline's defaults (greedy in the demo) and on a
 * configured chat pipeline that declares no decoding inputs at all. A sampling request without
 * a seed gets one drawn here, which the response reports.
 *
 * @param seed 0 for a greedy request; never 0 for a sampling one
 */
record Decoding(float temperature, int topK, long seed) {
  static final float MAX_TEMPERATURE = 2f;
  static final int MAX_TOP_K = 1000;
  static final Decoding GREEDY = new Decoding(0f, 0, 0L);

  /**
   * @param seeds draws a seed for a sampling request that sets none (any value; 0 is drawn again)
   * @throws InvalidRequestException for a temperature or top_k out of range, naming the range
   */
  static Decoding of(ConverseRequest request, LongSupplier seeds) {
    float temperature = request.getTemperature();
    if (!(temperature >= 0f && temperature <= MAX_TEMPERATURE)) {
      throw new InvalidRequestException("temperature: " + temperature + " (expected: 0 to " + (int) MAX_TEMPERATURE + ")");
    }
    int topK = request.getTopK();
    if (topK < 0 || topK > MAX_TOP_K) {
      throw new InvalidRequestException("top_k: " + topK + " (expected: 0 to " + MAX_TOP_K + ")");
    }
    if (temperature == 0f) {
      return GREEDY;
    }
    long seed = request.getSeed();
    // Bounded: a supplier that keeps returning 0 is a bug, not a reason to spin.
    for (int i = 0; seed == 0 && i < 8; i++) {
      seed = seeds.getAsLong();
    }
    if (seed == 0) {
      throw new IllegalStateException("seed source: 0 eight times (expected: random 64-bit values)");
    }
    return new Decoding(temperature, topK, seed);
  }

  /** The chat pipeline's decoding inputs: none for a greedy request. The seed's 64 bits go as INT64. */
  List<Tensor> inputs() {
    if (this.equals(GREEDY)) {
      return List.of();
    }
    return List.of(Tensor.ofFloats("temperature", new long[] {1}, temperature),
        Tensor.ofInts("top_k", new long[] {1}, topK),
        Tensor.ofLongs("seed", new long[] {1}, seed));
  }
}
