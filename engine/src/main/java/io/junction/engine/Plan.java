package io.junction.engine;

import io.junction.tensor.DataType;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorSpec;
import java.util.List;
import java.util.Map;

/**
 * A compiled pipeline: steps in topological order as {@link Node}s whose references are
 * resolved to {@link Slot}s, so that a run does no name lookups and no checks beyond the
 * request's own inputs. Immutable and shared by every run of the pipeline.
 *
 * @param inputs       the declared inputs, then the session values the pipeline reads
 *                     ({@link SessionInputs}), which a caller may leave out
 * @param callerInputs how many of {@code inputs} (the first) a caller gives: all of them but
 *                     those with a default
 * @param defaults     the value of each caller input that has a default, by index in {@code inputs}
 */
record Plan(
    String name,
    List<TensorSpec> inputs,
    int callerInputs,
    Map<Integer, Tensor> defaults,
    Map<String, Integer> inputIndex,
    List<Output> outputs,
    Map<String, Integer> outputIndex,
    List<Node> nodes,
    PipelineDescription description,
    List<SegmentPlan> segments) {

  /** Where a value lives: output {@code index} of node {@code node}, or pipeline input {@code index} when node is -1. */
  record Slot(int node, int index) {
    static final int INPUT = -1;

    boolean isInput() {
      return node == INPUT;
    }
  }

  record Output(String name, Slot from, TensorSpec spec) {}

  /** A model input and the value that feeds it. */
  record Feed(String input, Slot from) {}

  /**
   * One step.
   *
   * @param outputs    names of the tensors the step produces; Slot.index points in here
   * @param dataDeps   distinct nodes whose outputs this step reads
   * @param controller the switch whose branches name this step, or -1
   */
  record Node(int index, String name, long timeoutNanos, int retries, Op op, List<String> outputs, int[] dataDeps, int controller) {
    int maxAttempts() {
      return 1 + retries;
    }
  }

  sealed interface Op permits Call, Branch, Concat, FirstOf, Repeat, Segment {}

  /**
   * Calls {@code model}; asks only for {@code asked} (the outputs some step or output reads). When
   * its attempts fail for want of a model that can serve, {@code fallback} (null for none) is
   * called instead and asked for the same outputs.
   */
  record Call(String model, List<Feed> feeds, List<String> asked, List<TensorSpec> askedSpecs, Fallback fallback)
      implements Op {
    Call(String model, List<Feed> feeds, List<String> asked, List<TensorSpec> askedSpecs) {
      this(model, feeds, asked, askedSpecs, null);
    }
  }

  /** A step's fallback model and what feeds it. */
  record Fallback(String model, List<Feed> feeds) {}

  /**
   * A switch. {@code cases} maps a value written as text to the nodes it releases;
   * {@code controlled} is every node named in some branch.
   */
  record Branch(Slot on, Map<String, int[]> cases, int[] defaults, int[] controlled) implements Op {}

  record Concat(List<Slot> from, int axis) implements Op {}

  /**
   * A fused segment: one call to a worker of {@code group} that runs plan {@code planId}. The
   * feeds name the plan's inputs; the node's outputs are the plan's outputs, in order.
   */
  record Segment(String group, String planId, List<Feed> feeds, List<String> steps) implements Op {}

  record FirstOf(List<Slot> from) implements Op {}

  /**
   * A loop. {@code collectSpecs} are the model's own output specs (first dimension 1 per
   * iteration); {@code untilOutput} is null when the loop runs to its maximum;
   * {@code iteration} is null when the loop feeds no iteration number.
   */
  record Repeat(
      String model,
      List<Feed> fixed,
      String feedbackInput,
      String feedbackOutput,
      DataType feedbackType,
      int window,
      long start,
      List<String> collect,
      List<TensorSpec> collectSpecs,
      String untilOutput,
      String untilEquals,
      int maxIterations,
      List<String> asked,
      TensorSpec iteration) implements Op {}
}
