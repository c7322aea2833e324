package io.junction.workers.serving;

import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.workers.repository.ModelConfig;
import io.junction.workers.repository.TensorSpec;
import io.junction.workers.repository.ValueRange;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a request against its model's contract before the engine sees it, so that every
 * mistake a caller can make is an {@link InvalidInferRequestException} naming the tensor and
 * what was expected, never an engine error. A pure function of the config and the request.
 */
final class RequestValidator {
  private RequestValidator() {}

  /** What a valid request comes to: its inputs in model.yaml order, the outputs to return, the batch size. */
  record Checked(List<Tensor> inputs, List<String> outputs, long batch) {}

  static Checked check(ModelConfig config, List<Tensor> inputs, List<String> requestedOutputs) {
    Map<String, Tensor> byName = new HashMap<>();
    for (Tensor t : inputs) {
      if (config.input(t.name()).isEmpty()) {
        throw invalid("inputs", "\"" + t.name() + "\"", "only the inputs of model " + config.name() + ": "
            + String.join(", ", config.inputNames()));
      }
      if (byName.put(t.name(), t) != null) {
        throw invalid(t.name(), "given twice", "each input once");
      }
    }
    List<Tensor> ordered = new ArrayList<>(config.inputs().size());
    String batchFrom = null;
    long batch = -1;
    for (TensorSpec spec : config.inputs()) {
      Tensor t = byName.get(spec.name());
      if (t == null) {
        throw invalid(spec.name(), "missing", "an input of " + spec.datatype() + " "
            + Tensor.shapeString(spec.shapeArray()) + " for model " + config.name());
      }
      checkTensor(config, spec, t);
      long b = t.dim(0);
      if (batchFrom == null) {
        batchFrom = t.name();
        batch = b;
      } else if (b != batch) {
        throw invalid(t.name() + ".shape[0]", Long.toString(b), batch + ", the batch of " + batchFrom);
      }
      ordered.add(t);
    }
    return new Checked(ordered, outputs(config, requestedOutputs), batch);
  }

  private static void checkTensor(ModelConfig config, TensorSpec spec, Tensor t) {
    String name = t.name();
    if (t.datatype() != spec.datatype()) {
      throw invalid(name + ".datatype", t.datatype().name(), spec.datatype().name());
    }
    long[] shape = t.shape();
    long[] want = spec.shapeArray();
    if (shape.length != want.length) {
      throw invalid(name + ".shape", Tensor.shapeString(shape),
          "rank " + want.length + ", " + Tensor.shapeString(want));
    }
    long b = shape[0];
    if (b < 1) {
      throw invalid(name + ".shape[0]", Long.toString(b), "a batch of 1.." + config.maxBatchSize());
    }
    if (b > config.maxBatchSize()) {
      throw invalid(name + ".shape[0]", Long.toString(b),
          "at most " + config.maxBatchSize() + ", the max_batch_size of model " + config.name());
    }
    for (int i = 1; i < want.length; i++) {
      if (want[i] >= 0 && shape[i] != want[i]) {
        throw invalid(name + ".shape[" + i + "]", Long.toString(shape[i]),
            want[i] + ", as in " + Tensor.shapeString(want));
      }
    }
    ValueRange range = config.constraints().get(name);
    if (range != null) {
      for (long v : t.integerValues()) {
        if (!range.contains(v)) {
          throw invalid(name, Long.toString(v), range.toString());
        }
      }
    }
    if (t.datatype() == DataType.BYTES) {
      checkUtf8(t);
    }
  }

  /** The TensorFlow runtime passes strings through Java strings; bytes that are not UTF-8 would be mangled. */
  private static void checkUtf8(Tensor t) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    List<byte[]> elements = t.byteElements();
    for (int i = 0; i < elements.size(); i++) {
      try {
        decoder.decode(ByteBuffer.wrap(elements.get(i)));
      } catch (CharacterCodingException e) {
        throw invalid(t.name() + "[" + i + "]", "bytes that are not UTF-8", "UTF-8 text");
      }
    }
  }

  private static List<String> outputs(ModelConfig config, List<String> requested) {
    if (requested.isEmpty()) {
      return config.outputNames();
    }
    Set<String> seen = new HashSet<>();
    for (String name : requested) {
      if (config.output(name).isEmpty()) {
        throw invalid("outputs", "\"" + name + "\"", "one of the outputs of model " + config.name() + ": "
            + String.join(", ", config.outputNames()));
      }
      if (!seen.add(name)) {
        throw invalid("outputs", "\"" + name + "\" asked twice", "each output once");
      }
    }
    return requested;
  }

  private static InvalidInferRequestException invalid(String name, String found, String expected) {
    return new InvalidInferRequestException(name + ": " + found + " (expected: " + expected + ")");
  }
}
