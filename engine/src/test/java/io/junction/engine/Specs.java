package io.junction.engine;

import io.junction.engine.ModelSignature;
import io.junction.engine.StepSpec.Binding;
import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Builders for pipeline specs and the demo models' signatures (docs/model-repository.md), for tests. */
public final class Specs {
  private Specs() {}

  static final long D = 16;
  static final long C = 8;
  static final long V = 12;

  static TensorSpec t(String name, DataType type, long... shape) {
    return new TensorSpec(name, type, Arrays.stream(shape).boxed().toList());
  }

  static ModelSignature sig(String name, List<TensorSpec> inputs, List<TensorSpec> outputs) {
    return new ModelSignature(name, inputs, outputs);
  }

  static final ModelSignature FEATURIZER = sig("featurizer",
      List.of(t("text", DataType.BYTES, -1)), List.of(t("features", DataType.FP32, -1, 2048)));
  static final ModelSignature INTENT = sig("intent",
      List.of(t("features", DataType.FP32, -1, 2048)),
      List.of(t("intent_id", DataType.INT64, -1), t("intent", DataType.BYTES, -1),
          t("confidence", DataType.FP32, -1), t("probabilities", DataType.FP32, -1, C), t("followup", DataType.FP32, -1)));
  static final ModelSignature SESSION_INTENT = sig("session_intent",
      List.of(t("intent_id", DataType.INT64, -1), t("confidence", DataType.FP32, -1), t("followup", DataType.FP32, -1),
          t("previous_intent", DataType.BYTES, -1)),
      List.of(t("intent_id", DataType.INT64, -1), t("intent", DataType.BYTES, -1), t("confidence", DataType.FP32, -1)));
  static final ModelSignature RESPONDER = sig("responder",
      List.of(t("intent_id", DataType.INT64, -1), t("context", DataType.INT64, -1, 2), t("temperature", DataType.FP32, -1),
          t("top_k", DataType.INT32, -1), t("seed", DataType.INT64, -1), t("iteration", DataType.INT64, -1)),
      List.of(t("scores", DataType.FP32, -1, V), t("next_id", DataType.INT64, -1), t("next_token", DataType.BYTES, -1)));
  static final ModelSignature USER_TOWER = sig("user_tower",
      List.of(t("user_id", DataType.INT64, -1)), List.of(t("embedding", DataType.FP32, -1, D)));
  static final ModelSignature RETRIEVAL = sig("retrieval",
      List.of(t("embedding", DataType.FP32, -1, D)),
      List.of(t("items", DataType.INT64, -1, 200), t("scores", DataType.FP32, -1, 200)));
  static final ModelSignature POPULAR = sig("popular",
      List.of(t("user_id", DataType.INT64, -1)),
      List.of(t("items", DataType.INT64, -1, 50), t("scores", DataType.FP32, -1, 50)));
  static final ModelSignature RANKER = sig("ranker",
      List.of(t("user_id", DataType.INT64, -1), t("embedding", DataType.FP32, -1, D), t("candidates", DataType.INT64, -1, -1)),
      List.of(t("items", DataType.INT64, -1, 50), t("scores", DataType.FP32, -1, 50)));

  public static Map<String, ModelSignature> demoModels() {
    return Map.of("featurizer", FEATURIZER, "intent", INTENT, "session_intent", SESSION_INTENT, "responder", RESPONDER,
        "user_tower", USER_TOWER, "retrieval", RETRIEVAL, "popular", POPULAR, "ranker", RANKER);
  }

  static Binding bind(String input, String ref) {
    return new Binding(input, TensorRef.parse(ref));
  }

  static StepSpec model(String name, String model, Binding... inputs) {
    return StepSpec.model(name, model, List.of(inputs));
  }

  static StepSpec step(String name, StepSpec.Kind kind) {
    return new StepSpec(name, StepSpec.DEFAULT_TIMEOUT, StepSpec.DEFAULT_RETRIES, kind);
  }

  static StepSpec timed(StepSpec s, long timeoutMs, int retries) {
    return new StepSpec(s.name(), Duration.ofMillis(timeoutMs), retries, s.kind());
  }

  static PipelineSpec.Output out(String name, String ref) {
    return new PipelineSpec.Output(name, TensorRef.parse(ref));
  }

  /** The responder's decoding inputs, bound to the chat pipeline's inputs of the same names. */
  static final List<Binding> DECODING = List.of(bind("temperature", "input.temperature"), bind("top_k", "input.top_k"),
      bind("seed", "input.seed"));

  /** The responder's inputs but the feedback and the iteration: the intent of step classify, and the decoding inputs. */
  static List<Binding> replyInputs(String intentRef) {
    List<Binding> inputs = new ArrayList<>();
    inputs.add(bind("intent_id", intentRef));
    inputs.addAll(DECODING);
    return inputs;
  }

  static StepSpec.Loop replyLoop(int maxIterations) {
    return new StepSpec.Loop("responder", replyInputs("classify.intent_id"),
        new StepSpec.Feedback("context", "next_id", 2, 1), List.of("next_token", "next_id"),
        Optional.of(new StepSpec.Until("next_id", "2")), maxIterations, Optional.of("iteration"));
  }

  /** The chat pipeline's inputs: the text, and the decoding options with their greedy defaults. */
  static final List<TensorSpec> CHAT_INPUTS = List.of(t("text", DataType.BYTES, 1), t("temperature", DataType.FP32, 1),
      t("top_k", DataType.INT32, 1), t("seed", DataType.INT64, 1));
  static final Map<String, Tensor> CHAT_DEFAULTS = Map.of(
      "temperature", Tensor.ofFloats("temperature", new long[] {1}, 0f),
      "top_k", Tensor.ofInts("top_k", new long[] {1}, 0),
      "seed", Tensor.ofLongs("seed", new long[] {1}, 0L));

  /** {@code inputs} and the chat pipeline's decoding inputs, which have {@link #CHAT_DEFAULTS}. */
  static List<TensorSpec> withDecoding(List<TensorSpec> inputs) {
    List<TensorSpec> all = new ArrayList<>(inputs);
    all.addAll(CHAT_INPUTS.subList(1, CHAT_INPUTS.size()));
    return all;
  }

  public static PipelineSpec chat() {
    return new PipelineSpec("chat", CHAT_INPUTS,
        List.of(out("intent", "classify.intent"), out("confidence", "classify.confidence"), out("tokens", "reply.next_token")),
        List.of(
            model("featurize", "featurizer", bind("text", "input.text")),
            model("classify", "intent", bind("features", "featurize.features")),
            new StepSpec("reply", Duration.ofMillis(10_000), 1, replyLoop(24))), true, CHAT_DEFAULTS);
  }

  /**
   * The demo's chat as demo.yaml has it: {@link #chat()} whose {@code classify} is the model
   * {@code session_intent}, over the intent model's answer for the text (step {@code text_intent})
   * and the session's previous intent, so that a follow-up continues the conversation's intent.
   */
  public static PipelineSpec demoChat() {
    List<StepSpec> steps = new ArrayList<>(replace(chat().steps(), "classify", model("classify", "session_intent",
        bind("intent_id", "text_intent.intent_id"), bind("confidence", "text_intent.confidence"),
        bind("followup", "text_intent.followup"), bind("previous_intent", "session.previous_intent"))));
    steps.add(1, model("text_intent", "intent", bind("features", "featurize.features")));
    return withSteps(chat(), steps);
  }

  public static PipelineSpec recommend() {
    return new PipelineSpec("recommend", List.of(t("user_id", DataType.INT64, 1)),
        List.of(out("items", "ranker.items"), out("scores", "ranker.scores")),
        List.of(
            model("user_tower", "user_tower", bind("user_id", "input.user_id")),
            model("retrieval", "retrieval", bind("embedding", "user_tower.embedding")),
            model("popular", "popular", bind("user_id", "input.user_id")),
            step("candidates", new StepSpec.Merge(StepSpec.Merge.Mode.CONCAT,
                List.of(TensorRef.parse("retrieval.items"), TensorRef.parse("popular.items")), 1, "candidates")),
            model("ranker", "ranker", bind("user_id", "input.user_id"), bind("embedding", "user_tower.embedding"),
                bind("candidates", "candidates.candidates"))));
  }

  /** The chat pipeline with its steps replaced or added, for compiler error cases. */
  static PipelineSpec withSteps(PipelineSpec base, List<StepSpec> steps) {
    return new PipelineSpec(base.name(), base.inputs(), base.outputs(), steps, true, base.defaults());
  }

  static List<StepSpec> replace(List<StepSpec> steps, String name, StepSpec with) {
    List<StepSpec> out = new ArrayList<>();
    for (StepSpec s : steps) {
      out.add(s.name().equals(name) ? with : s);
    }
    return out;
  }
}
