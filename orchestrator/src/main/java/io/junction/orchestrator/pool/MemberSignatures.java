package io.junction.orchestrator.pool;

import io.grpc.Status;
import io.junction.engine.ModelSignature;
import io.junction.proto.inference.ModelMetadataResponse;
import io.junction.tensor.DataType;
import io.junction.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model signatures from Open Inference Protocol metadata, and the check that keeps a static
 * pool's member out of routing until its metadata matches the signatures the pipelines were
 * checked against at start. A static member is a server someone else runs: one that comes up
 * (again) later may serve another version of a model, and calls shaped for the old one would
 * fail on it, or worse, succeed with other meanings.
 */
final class MemberSignatures {
  private static final Logger log = LoggerFactory.getLogger(MemberSignatures.class);
  static final String PREFIX = "metadata: ";

  private MemberSignatures() {}

  /**
   * The signature of {@code model} as {@code md} reports it; {@code source} says where it was read
   * (for messages). Throws IllegalArgumentException, its message naming the tensor, when the
   * metadata lists no inputs or outputs, or a datatype Junction does not know.
   */
  static ModelSignature signature(String model, ModelMetadataResponse md, String source) {
    if (md.getInputsCount() == 0 || md.getOutputsCount() == 0) {
      // KServe's Model reports none unless it overrides get_input_types and get_output_types.
      throw new IllegalArgumentException("model " + model + ": metadata" + from(source) + " lists "
          + md.getInputsCount() + " input(s) and " + md.getOutputsCount() + " output(s)"
          + " (expected: at least one of each, with name, datatype and shape)");
    }
    return new ModelSignature(model, specs(model, source, "inputs", md.getInputsList()),
        specs(model, source, "outputs", md.getOutputsList()), source);
  }

  private static List<TensorSpec> specs(String model, String source, String side,
      List<ModelMetadataResponse.TensorMetadata> tensors) {
    List<TensorSpec> out = new ArrayList<>(tensors.size());
    for (ModelMetadataResponse.TensorMetadata t : tensors) {
      Optional<DataType> type = DataType.fromName(t.getDatatype());
      if (type.isEmpty()) {
        throw new IllegalArgumentException("model " + model + ": " + side + "." + t.getName() + ".datatype: \""
            + t.getDatatype() + "\" (expected: one of " + DataType.names() + ")"
            + (source.isEmpty() ? "" : ", in the metadata from " + source));
      }
      out.add(new TensorSpec(t.getName(), type.get(), t.getShapeList()));
    }
    return out;
  }

  private static String from(String source) {
    return source.isEmpty() ? "" : " from " + source;
  }

  /** Where a member's metadata comes from, for messages. */
  static String source(Pool pool, Replica r) {
    return "pool " + pool.name() + ", member " + r.id() + " at " + r.endpoint;
  }

  /**
   * Checks a static member that became READY against {@code expected} (the pools' signatures,
   * empty before start has read them: start checks the members READY by then itself), and
   * admits it into routing when each of the pool's models matches; else it stays out, its
   * {@code last_error} saying why: until it becomes READY again after a mismatch, until a later
   * check (every health interval) gets answers when a metadata call failed. Event thread.
   *
   * @return completes (never exceptionally) once the member is admitted or held out
   */
  static CompletableFuture<Void> check(Pool pool, Replica r, Supplier<Map<String, ModelSignature>> expected,
      Scheduler scheduler) {
    Map<String, ModelSignature> want = expected.get();
    WorkerClient c = r.client();
    if (want.isEmpty() || c == null) {
      return CompletableFuture.completedFuture(null);
    }
    r.holdUntilAdmitted();
    AtomicBoolean unanswered = new AtomicBoolean();
    List<CompletableFuture<String>> checks = new ArrayList<>();
    for (String model : pool.spec().models()) {
      checks.add(c.modelMetadata(model, PoolSet.METADATA_TIMEOUT).handle((md, t) -> {
        if (t != null) {
          unanswered.set(true);
          return "model " + model + ": " + Replica.describe(Status.fromThrowable(t))
              + " (expected: the member serves " + model + ")";
        }
        try {
          return mismatch(want.get(model), signature(model, md, source(pool, r)));
        } catch (IllegalArgumentException e) {
          return e.getMessage();
        }
      }));
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).whenComplete((ok, t) -> scheduler.execute(() -> {
      try {
        if (r.client() != c || r.state() != ReplicaState.READY) {
          return; // replaced or gone meanwhile: its next READY checks again
        }
        String why = checks.stream().map(CompletableFuture::join).filter(s -> !s.isEmpty()).findFirst().orElse("");
        if (why.isEmpty()) {
          if (r.lastError.startsWith(PREFIX)) {
            r.lastError = "";
          }
          r.admit();
          pool.replicasMoved();
        } else {
          r.lastError = PREFIX + why;
          log.warn("pool {}: member {} at {} READY but kept out of routing: {}", pool.name(), r.id(), r.endpoint,
              r.lastError);
          if (unanswered.get()) {
            // No answer is no verdict (a busy member, a slow network): ask again, else a member that
            // stays READY would stay out for good. A mismatch waits for the member's next READY.
            scheduler.schedule(pool.spec().healthInterval(), () -> {
              if (r.client() == c && r.state() == ReplicaState.READY && !r.admitted()) {
                check(pool, r, expected, scheduler);
              }
            });
          }
        }
      } finally {
        done.complete(null);
      }
    }));
    return done;
  }

  /** How {@code have} differs from {@code want}, by tensor name; empty when it does not. */
  static String mismatch(ModelSignature want, ModelSignature have) {
    String in = mismatch("inputs", want.inputs(), have.inputs());
    String differs = in.isEmpty() ? mismatch("outputs", want.outputs(), have.outputs()) : in;
    return differs.isEmpty() ? "" : "model " + want.name() + ": " + differs
        + ", the signature the pipelines were checked against" + want.origin() + ")";
  }

  private static String mismatch(String side, List<TensorSpec> want, List<TensorSpec> have) {
    Map<String, TensorSpec> wanted = byName(want);
    Map<String, TensorSpec> had = byName(have);
    for (TensorSpec w : want) {
      TensorSpec h = had.get(w.name());
      if (h == null) {
        return side + "." + w.name() + ": missing (expected: " + describe(w);
      }
      if (!h.equals(w)) {
        return side + "." + w.name() + ": " + describe(h) + " (expected: " + describe(w);
      }
    }
    for (TensorSpec h : have) {
      if (!wanted.containsKey(h.name())) {
        return side + "." + h.name() + ": " + describe(h) + " (expected: none by that name";
      }
    }
    return "";
  }

  private static Map<String, TensorSpec> byName(List<TensorSpec> specs) {
    Map<String, TensorSpec> m = new LinkedHashMap<>();
    specs.forEach(s -> m.put(s.name(), s));
    return m;
  }

  private static String describe(TensorSpec t) {
    return t.name() + " " + t.datatype() + " " + t.shape();
  }
}
