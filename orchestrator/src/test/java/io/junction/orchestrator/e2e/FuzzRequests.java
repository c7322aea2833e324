package io.junction.orchestrator.e2e;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import io.grpc.MethodDescriptor;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.junction.grpc.RawCalls;
import io.junction.proto.inference.GRPCInferenceServiceGrpc;
import io.junction.proto.inference.InferParameter;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelMetadataRequest;
import io.junction.proto.inference.ModelReadyRequest;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.DrainReplicaRequest;
import io.junction.proto.v1.EndSessionRequest;
import io.junction.proto.v1.ListSessionsRequest;
import io.junction.proto.v1.PipelineServiceGrpc;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendationServiceGrpc;
import io.junction.proto.v1.RunPipelineRequest;
import io.junction.proto.v1.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Generates the fuzz test's requests from one seeded {@link Random}: for each public method of
 * the orchestrator a valid request (built from the models' and pipelines' real specs), then
 * mutated field by field through protobuf reflection (odd Unicode, empty and huge strings,
 * negative and huge numbers, NaN and Inf, wrong dtypes and shapes, contents that do not match),
 * or mutated as bytes (truncated, flipped, invalid UTF-8 in a string field, random), or
 * oversized. Every request travels as bytes over a {@link RawCalls#raw raw} method, so a request
 * that does not parse can be sent at all. Generation is single-threaded: a seed gives the same
 * requests in the same order.
 */
final class FuzzRequests {
  /** One generated request (several for a client-streaming method) and what was done to it. */
  record Request(MethodDescriptor<byte[], byte[]> method, List<byte[]> messages, String description) {}

  private static final String[] UTTERANCES = {
    "I want to book a flight to Paris", "what's the weather like tomorrow", "cancel my hotel", "hello", "thanks!",
    "yes, two please", "find a good thai restaurant near me", "ok, goodbye", "I need to rent a car in New York"};

  private static final String[] ODD_STRINGS = {
    "", " ", "\t\n\r", "\u0000", "\u0000\u0000abc", "\uFEFFhello", "\u202Eevil\u202C", "e\u0301\u0301\u0301",
    "\uD83D\uDE00\uD83D\uDC4D\uD83C\uDFFD", "\uD800", "\uDFFF lone", "\uFFFF\uFFFE", "日本語のテキスト",
    "مرحبا بالعالم", "../../etc/passwd", "%s%n%x", "${jndi:ldap://x}", "'; DROP TABLE x; --", "null", "NaN",
    "-1", "9223372036854775808", "chat", "recommend", "featurizer", "user_tower", "responder", "ranker",
    "input.text", "classify.intent", "a.b.c", "*", "\\", "\"", "\u0085\u2028\u2029"};

  private static final String[] DATATYPES = {
    "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64",
    "BYTES", "BF16", "", "fp32", "int64", "STRING", "FP32 ", "TF_FLOAT"};

  private static final long[] ODD_LONGS = {
    0, -1, 1, 2, -2, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 31, 1L << 32,
    1L << 40, 1L << 62, 65, 64, 2048, 1999, 2000, 999, 1000, 10_000, 1_000_000, -1_000_000};

  private static final double[] ODD_DOUBLES = {
    Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, Double.MIN_VALUE,
    Double.MAX_VALUE, -Double.MAX_VALUE, 1e30, -1e30, 1e-45, 3.4028235e38, 1.0, -1.0, 100.0};

  private final Random random;
  private final List<TensorSpec[]> modelInputs;
  private final List<String> modelNames;
  private final List<TensorSpec[]> pipelineInputs;
  private final List<String> pipelineNames;
  private final int maxMessageBytes;
  private final List<Generator> generators = new ArrayList<>();

  private record Generator(MethodDescriptor<byte[], byte[]> method, Supplier<Message> valid) {}

  /**
   * @param models    name and input specs of every model the orchestrator lists
   * @param pipelines name and input specs of every pipeline
   */
  FuzzRequests(Random random, Map<String, List<TensorSpec>> models, Map<String, List<TensorSpec>> pipelines,
      int maxMessageBytes) {
    this.random = random;
    this.modelNames = new ArrayList<>(models.keySet());
    this.modelInputs = modelNames.stream().map(n -> models.get(n).toArray(TensorSpec[]::new)).toList();
    this.pipelineNames = new ArrayList<>(pipelines.keySet());
    this.pipelineInputs = pipelineNames.stream().map(n -> pipelines.get(n).toArray(TensorSpec[]::new)).toList();
    this.maxMessageBytes = maxMessageBytes;

    add(ConversationServiceGrpc.getConverseMethod(), this::converse);
    add(ConversationServiceGrpc.getConverseStreamMethod(), this::converse);
    add(ConversationServiceGrpc.getChatMethod(), this::converse);
    add(RecommendationServiceGrpc.getRecommendMethod(), this::recommend);
    add(PipelineServiceGrpc.getRunMethod(), this::runPipeline);
    add(PipelineServiceGrpc.getRunStreamMethod(), this::runPipeline);
    add(GRPCInferenceServiceGrpc.getModelInferMethod(), this::modelInfer);
    add(GRPCInferenceServiceGrpc.getModelStreamInferMethod(), this::modelInfer);
    add(GRPCInferenceServiceGrpc.getServerLiveMethod(), null);
    add(GRPCInferenceServiceGrpc.getServerReadyMethod(), null);
    add(GRPCInferenceServiceGrpc.getServerMetadataMethod(), null);
    add(GRPCInferenceServiceGrpc.getModelReadyMethod(),
        () -> ModelReadyRequest.newBuilder().setName(anyName()).setVersion(version()).build());
    add(GRPCInferenceServiceGrpc.getModelMetadataMethod(),
        () -> ModelMetadataRequest.newBuilder().setName(anyName()).setVersion(version()).build());
    add(AdminServiceGrpc.getListPoolsMethod(), null);
    add(AdminServiceGrpc.getListPipelinesMethod(), null);
    add(AdminServiceGrpc.getListModelsMethod(), null);
    add(AdminServiceGrpc.getListSessionsMethod(),
        () -> ListSessionsRequest.newBuilder().setLimit(random.nextInt(20)).build());
    add(AdminServiceGrpc.getEndSessionMethod(),
        () -> EndSessionRequest.newBuilder().setSessionId("fuzz-" + random.nextInt(50)).build());
    // The demo's pools have one replica each, so a real id is refused as its pool's last READY
    // replica (FAILED_PRECONDITION): the fuzz never takes a worker away.
    add(AdminServiceGrpc.getDrainReplicaMethod(), () -> DrainReplicaRequest.newBuilder().setReplicaId(
        List.of("conversation-0", "recommendation-0", "conversation-9", "", "fuzz-" + random.nextInt(50))
            .get(random.nextInt(5))).build());
    add(HealthGrpc.getCheckMethod(), () -> HealthCheckRequest.newBuilder()
        .setService(random.nextBoolean() ? "" : "junction.v1.ConversationService").build());
  }

  /** Every method the generator covers, by full name. */
  List<String> methods() {
    return generators.stream().map(g -> g.method().getFullMethodName()).toList();
  }

  private <ReqT extends Message, RespT> void add(MethodDescriptor<ReqT, RespT> typed, Supplier<Message> valid) {
    MethodDescriptor<byte[], byte[]> raw = RawCalls.raw(typed);
    Supplier<Message> base = valid != null ? valid : () -> emptyOf(typed);
    generators.add(new Generator(raw, base));
  }

  private static <ReqT, RespT> Message emptyOf(MethodDescriptor<ReqT, RespT> typed) {
    return (Message) ((MethodDescriptor.PrototypeMarshaller<ReqT>) typed.getRequestMarshaller()).getMessagePrototype();
  }

  /** The next request: a random method, one message (1 to 4 for a client-streaming method). */
  Request next() {
    Generator g = generators.get(random.nextInt(generators.size()));
    boolean clientStreams = !g.method().getType().clientSendsOneMessage();
    int count = clientStreams ? 1 + random.nextInt(4) : 1;
    List<byte[]> messages = new ArrayList<>();
    StringBuilder description = new StringBuilder();
    for (int i = 0; i < count; i++) {
      StringBuilder what = new StringBuilder();
      messages.add(message(g, what));
      description.append(i == 0 ? "" : " | ").append(what);
    }
    return new Request(g.method(), messages, description.toString());
  }

  private byte[] message(Generator g, StringBuilder what) {
    Message valid = g.valid().get();
    int kind = random.nextInt(100);
    if (kind < 20) {
      what.append("valid ").append(shortText(valid));
      return valid.toByteArray();
    }
    if (kind < 45 && (valid instanceof ModelInferRequest || valid instanceof RunPipelineRequest)) {
      Message m = tensorsMutated(valid, what);
      what.append(": ").append(shortText(m));
      return m.toByteArray();
    }
    if (kind < 70) {
      Message.Builder b = valid.toBuilder();
      int mutations = 1 + random.nextInt(3);
      what.append("mutated");
      for (int i = 0; i < mutations; i++) {
        mutate(b, what, 0);
      }
      Message m = b.build();
      if (m.getSerializedSize() > 2 * maxMessageBytes) {
        // a few huge values multiplied: an oversized message, generated on its own below
        what.setLength(0);
        what.append("valid (a mutant was too big) ").append(shortText(valid));
        return valid.toByteArray();
      }
      what.append(": ").append(shortText(m));
      return m.toByteArray();
    }
    if (kind < 92) {
      return bytesMutated(valid, what);
    }
    if (kind < 99) {
      return randomBytes(what);
    }
    return oversized(valid, what);
  }

  // ---- valid requests, from the real specs

  private Message converse() {
    ConverseRequest.Builder b = ConverseRequest.newBuilder().setText(pick(UTTERANCES));
    if (random.nextInt(4) == 0) {
      b.setSessionId("fuzz-" + random.nextInt(50));
    }
    if (random.nextBoolean()) {
      b.setMaxTokens(1 + random.nextInt(8));
    }
    if (random.nextInt(3) == 0) {
      b.setTemperature(random.nextFloat() * 2).setTopK(random.nextInt(10)).setSeed(random.nextLong());
    }
    return b.build();
  }

  private Message recommend() {
    return RecommendRequest.newBuilder().setUserId(random.nextInt(2000)).setK(1 + random.nextInt(50)).build();
  }

  private Message runPipeline() {
    int i = random.nextInt(pipelineNames.size());
    RunPipelineRequest.Builder b = RunPipelineRequest.newBuilder().setPipeline(pipelineNames.get(i));
    boolean raw = random.nextBoolean();
    int batch = 1;
    for (TensorSpec spec : pipelineInputs.get(i)) {
      if (random.nextInt(8) == 0) {
        continue; // an input left out: its default, or an error
      }
      b.addInputs(tensor(spec, batch, raw));
      if (raw) {
        b.addRawInputContents(rawContents(spec, count(spec, batch)));
      }
    }
    return b.build();
  }

  private Message modelInfer() {
    boolean pipeline = random.nextInt(5) == 0;
    String name;
    TensorSpec[] specs;
    if (pipeline) {
      int i = random.nextInt(pipelineNames.size());
      name = pipelineNames.get(i);
      specs = pipelineInputs.get(i);
    } else {
      int i = random.nextInt(modelNames.size());
      name = modelNames.get(i);
      specs = modelInputs.get(i);
    }
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(name).setId("fuzz-" + random.nextInt(1000));
    boolean raw = random.nextBoolean();
    int batch = pipeline ? 1 : 1 + random.nextInt(4);
    for (TensorSpec spec : specs) {
      b.addInputs(tensor(spec, batch, raw));
      if (raw) {
        b.addRawInputContents(rawContents(spec, count(spec, batch)));
      }
    }
    if (random.nextInt(5) == 0) {
      b.putParameters("priority", InferParameter.newBuilder().setInt64Param(random.nextInt(3)).build());
    }
    return b.build();
  }

  private InferInputTensor tensor(TensorSpec spec, int batch, boolean raw) {
    InferInputTensor.Builder t = InferInputTensor.newBuilder().setName(spec.getName()).setDatatype(spec.getDatatype());
    for (long d : spec.getShapeList()) {
      t.addShape(d < 0 ? (t.getShapeCount() == 0 ? batch : 1 + random.nextInt(4)) : d);
    }
    if (!raw) {
      t.setContents(contents(spec.getDatatype(), count(t.getShapeList())));
    }
    return t.build();
  }

  private static int count(TensorSpec spec, int batch) {
    int n = 1;
    boolean first = true;
    for (long d : spec.getShapeList()) {
      n *= d < 0 ? (first ? batch : 1) : (int) d;
      first = false;
    }
    return n;
  }

  private static int count(List<Long> shape) {
    // only for shapes this class built from specs: small, positive
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return (int) n;
  }

  private InferTensorContents contents(String datatype, int n) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (int i = 0; i < n; i++) {
      switch (datatype) {
        case "BYTES" -> c.addBytesContents(ByteString.copyFromUtf8(pick(UTTERANCES)));
        case "FP32" -> c.addFp32Contents((float) (random.nextGaussian() * 0.2));
        case "FP64" -> c.addFp64Contents(random.nextGaussian());
        case "INT64" -> c.addInt64Contents(random.nextInt(10));
        case "BOOL" -> c.addBoolContents(random.nextBoolean());
        default -> c.addIntContents(random.nextInt(10));
      }
    }
    return c.build();
  }

  private ByteString rawContents(TensorSpec spec, int n) {
    String dt = spec.getDatatype();
    if (dt.equals("BYTES")) {
      ByteBuffer buf = ByteBuffer.allocate(n * 64).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        byte[] s = pick(UTTERANCES).getBytes(StandardCharsets.UTF_8);
        buf.putInt(s.length).put(s);
      }
      return ByteString.copyFrom(buf.array(), 0, buf.position());
    }
    int width = dt.equals("INT64") || dt.equals("FP64") ? 8 : dt.equals("BOOL") ? 1 : 4;
    ByteBuffer buf = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (dt) {
        case "FP32" -> buf.putFloat((float) (random.nextGaussian() * 0.2));
        case "FP64" -> buf.putDouble(random.nextGaussian());
        case "INT64" -> buf.putLong(random.nextInt(10));
        case "BOOL" -> buf.put((byte) random.nextInt(2));
        default -> buf.putInt(random.nextInt(10));
      }
    }
    return ByteString.copyFrom(buf.array());
  }

  private String anyName() {
    int r = random.nextInt(3);
    return r == 0 ? pick(modelNames) : r == 1 ? pick(pipelineNames) : pick(ODD_STRINGS);
  }

  private String version() {
    return random.nextBoolean() ? "" : random.nextBoolean() ? "1" : pick(ODD_STRINGS);
  }

  // ---- mutations

  /**
   * One input tensor of a ModelInfer or pipeline request made wrong in a way tensors go wrong:
   * values (NaN, Inf, out of range), dtype, shape, raw contents, names, batch sizes.
   */
  private Message tensorsMutated(Message valid, StringBuilder what) {
    List<InferInputTensor.Builder> inputs = new ArrayList<>();
    List<ByteString> raw = new ArrayList<>();
    if (valid instanceof ModelInferRequest r) {
      r.getInputsList().forEach(t -> inputs.add(t.toBuilder()));
      raw.addAll(r.getRawInputContentsList());
    } else {
      RunPipelineRequest r = (RunPipelineRequest) valid;
      r.getInputsList().forEach(t -> inputs.add(t.toBuilder()));
      raw.addAll(r.getRawInputContentsList());
    }
    if (inputs.isEmpty()) {
      what.append("tensors: none");
      return valid;
    }
    int i = random.nextInt(inputs.size());
    InferInputTensor.Builder t = inputs.get(i);
    what.append("tensor ").append(t.getName()).append(": ");
    switch (random.nextInt(9)) {
      case 0 -> { // odd values, shape kept
        what.append("odd values");
        if (i < raw.size()) {
          byte[] b = raw.get(i).toByteArray();
          ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
          for (int at = 0; at + 8 <= b.length && !t.getDatatype().equals("BYTES"); at += 4) {
            if (t.getDatatype().equals("FP32")) {
              buf.putFloat(at, (float) pick(ODD_DOUBLES));
            } else if (t.getDatatype().equals("INT64") && at % 8 == 0) {
              buf.putLong(at, oddLong());
            } else if (t.getDatatype().equals("INT32")) {
              buf.putInt(at, (int) oddLong());
            }
          }
          raw.set(i, ByteString.copyFrom(b));
        } else {
          InferTensorContents.Builder c = t.getContentsBuilder();
          for (int k = 0; k < c.getFp32ContentsCount(); k++) {
            c.setFp32Contents(k, (float) pick(ODD_DOUBLES));
          }
          for (int k = 0; k < c.getInt64ContentsCount(); k++) {
            c.setInt64Contents(k, oddLong());
          }
          for (int k = 0; k < c.getIntContentsCount(); k++) {
            c.setIntContents(k, (int) oddLong());
          }
          for (int k = 0; k < c.getBytesContentsCount(); k++) {
            c.setBytesContents(k, random.nextBoolean() ? oddBytes() : ByteString.copyFromUtf8(oddString(
                InferInputTensor.getDescriptor().findFieldByName("name"))));
          }
        }
      }
      case 1 -> {
        String dt = pick(DATATYPES);
        what.append("datatype ").append(dt);
        t.setDatatype(dt);
      }
      case 2 -> {
        int d = t.getShapeCount() == 0 ? 0 : random.nextInt(t.getShapeCount());
        long v = oddDim();
        what.append("shape[").append(d).append("]=").append(v);
        if (t.getShapeCount() == 0) {
          t.addShape(v);
        } else {
          t.setShape(d, v);
        }
      }
      case 3 -> {
        if (random.nextBoolean()) {
          what.append("a dimension more");
          t.addShape(1 + random.nextInt(3));
        } else {
          what.append("shape cleared");
          t.clearShape();
        }
      }
      case 4 -> { // raw contents the wrong length, or both kinds of contents
        if (i < raw.size()) {
          byte[] b = raw.get(i).toByteArray();
          int n = Math.max(0, b.length + random.nextInt(17) - 8);
          what.append("raw contents ").append(b.length).append(" -> ").append(n).append(" bytes");
          raw.set(i, ByteString.copyFrom(java.util.Arrays.copyOf(b, n)));
          if (random.nextBoolean()) {
            t.setContents(contents(t.getDatatype(), 1));
            what.append(" and typed contents");
          }
        } else {
          what.append("raw contents added for a typed tensor");
          raw.add(oddBytes());
        }
      }
      case 5 -> { // a BYTES element's length prefix that lies
        byte[] b = i < raw.size() ? raw.get(i).toByteArray() : new byte[8];
        if (b.length >= 4) {
          int lie = random.nextBoolean() ? -1 - random.nextInt(5) : Integer.MAX_VALUE - random.nextInt(5);
          ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0, lie);
          what.append("length prefix ").append(lie);
        }
        if (i < raw.size()) {
          raw.set(i, ByteString.copyFrom(b));
        } else {
          raw.add(ByteString.copyFrom(b));
        }
      }
      case 6 -> {
        InferInputTensor.Builder copy = t.clone();
        what.append("duplicated");
        inputs.add(copy);
        if (i < raw.size()) {
          raw.add(raw.get(i));
        }
      }
      case 7 -> {
        String name = oddString(InferInputTensor.getDescriptor().findFieldByName("name"));
        what.append("renamed ").append(brief(name));
        t.setName(name);
      }
      default -> { // a batch of another size than the other inputs'
        int batch = 2 + random.nextInt(7);
        what.append("batch ").append(batch);
        if (t.getShapeCount() > 0) {
          long per = count(t.getShapeList()) / Math.max(1, t.getShape(0));
          t.setShape(0, batch);
          if (i < raw.size()) {
            ByteString one = raw.get(i);
            ByteString more = ByteString.EMPTY;
            for (int k = 0; k < batch; k++) {
              more = more.concat(one);
            }
            raw.set(i, more);
          } else if (per > 0) {
            t.setContents(contents(t.getDatatype(), (int) (batch * per)));
          }
        }
      }
    }
    List<InferInputTensor> built = inputs.stream().map(InferInputTensor.Builder::build).toList();
    if (valid instanceof ModelInferRequest r) {
      return r.toBuilder().clearInputs().addAllInputs(built).clearRawInputContents().addAllRawInputContents(raw).build();
    }
    return ((RunPipelineRequest) valid).toBuilder().clearInputs().addAllInputs(built)
        .clearRawInputContents().addAllRawInputContents(raw).build();
  }

  /** Changes one field somewhere in the message tree to an odd value of its type. */
  private void mutate(Message.Builder b, StringBuilder what, int depth) {
    List<FieldDescriptor> fields = b.getDescriptorForType().getFields();
    if (fields.isEmpty()) {
      appendUnknownField(b, what);
      return;
    }
    FieldDescriptor f = fields.get(random.nextInt(fields.size()));
    boolean isMessage = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE;
    if (isMessage && !f.isMapField() && depth < 4 && random.nextInt(3) != 0) {
      if (f.isRepeated()) {
        int n = b.getRepeatedFieldCount(f);
        if (n > 0) {
          mutate(b.getRepeatedFieldBuilder(f, random.nextInt(n)), what, depth + 1);
          return;
        }
      } else {
        mutate(b.getFieldBuilder(f), what, depth + 1);
        return;
      }
    }
    what.append(' ').append(f.getName());
    if (f.isRepeated()) {
      mutateRepeated(b, f, what);
    } else if (isMessage) {
      if (random.nextBoolean()) {
        b.clearField(f);
        what.append("=cleared");
      } else {
        Message.Builder sub = b.newBuilderForField(f);
        mutate(sub, what, depth + 1);
        b.setField(f, sub.build());
      }
    } else {
      Object v = oddValue(f);
      b.setField(f, v);
      what.append('=').append(brief(v));
    }
  }

  private void mutateRepeated(Message.Builder b, FieldDescriptor f, StringBuilder what) {
    int n = b.getRepeatedFieldCount(f);
    int op = random.nextInt(5);
    if (op == 0 || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && op < 3) {
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (op == 0 && n > 0) {
          b.clearField(f);
          what.append("=cleared");
        } else {
          Message.Builder element = b.newBuilderForField(f);
          if (n > 0) {
            element.mergeFrom((Message) b.getRepeatedField(f, random.nextInt(n)));
          }
          if (!f.isMapField() && random.nextBoolean()) {
            mutate(element, what, 4);
          }
          b.addRepeatedField(f, element.build());
          what.append("+=element");
        }
      } else {
        b.clearField(f);
        what.append("=cleared");
      }
      return;
    }
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      what.append("(unchanged)");
      return;
    }
    if (op == 1 && n > 0) {
      int i = random.nextInt(n);
      Object v = oddValue(f);
      b.setRepeatedField(f, i, v);
      what.append('[').append(i).append("]=").append(brief(v));
    } else if (op == 2) {
      Object v = oddValue(f);
      boolean small = !(v instanceof String || v instanceof ByteString);
      int extra = small && random.nextInt(10) == 0 ? 1000 + random.nextInt(50_000) : 1 + random.nextInt(3);
      for (int i = 0; i < extra; i++) {
        b.addRepeatedField(f, v);
      }
      what.append("+=").append(extra).append('x').append(brief(v));
    } else if (n > 0) {
      // drop the last element
      List<Object> kept = new ArrayList<>();
      for (int i = 0; i < n - 1; i++) {
        kept.add(b.getRepeatedField(f, i));
      }
      b.clearField(f);
      kept.forEach(v -> b.addRepeatedField(f, v));
      what.append("-=last");
    } else {
      Object v = oddValue(f);
      b.addRepeatedField(f, v);
      what.append("+=").append(brief(v));
    }
  }

  private Object oddValue(FieldDescriptor f) {
    return switch (f.getJavaType()) {
      case INT -> (int) oddLong();
      case LONG -> f.getName().equals("shape") ? oddDim() : oddLong();
      case FLOAT -> (float) pick(ODD_DOUBLES);
      case DOUBLE -> pick(ODD_DOUBLES);
      case BOOLEAN -> random.nextBoolean();
      case STRING -> oddString(f);
      case BYTE_STRING -> oddBytes();
      case ENUM -> f.getEnumType().getValues().get(random.nextInt(f.getEnumType().getValues().size()));
      case MESSAGE -> throw new IllegalStateException("no odd value for a message field " + f.getFullName());
    };
  }

  private long oddLong() {
    return random.nextBoolean() ? ODD_LONGS[random.nextInt(ODD_LONGS.length)] : random.nextLong();
  }

  private long oddDim() {
    int r = random.nextInt(6);
    return switch (r) {
      case 0 -> -1 - random.nextInt(3);
      case 1 -> Long.MAX_VALUE;
      case 2 -> 1L << (16 + random.nextInt(40));
      case 3 -> 0;
      default -> random.nextInt(300);
    };
  }

  private String oddString(FieldDescriptor f) {
    if (f.getName().equals("datatype")) {
      return pick(DATATYPES);
    }
    int r = random.nextInt(10);
    if (r == 0) {
      return "x".repeat(random.nextBoolean() ? 2001 : 100_000 + random.nextInt(400_000));
    }
    if (r == 1) {
      StringBuilder s = new StringBuilder();
      int n = 1 + random.nextInt(200);
      for (int i = 0; i < n; i++) {
        s.append((char) random.nextInt(0x10000)); // lone surrogates included
      }
      return s.toString();
    }
    if (r == 2) {
      return pick(UTTERANCES).repeat(1 + random.nextInt(300));
    }
    return pick(ODD_STRINGS);
  }

  private ByteString oddBytes() {
    int r = random.nextInt(5);
    int n = r == 0 ? 0 : r == 1 ? 1 + random.nextInt(7) : r == 2 ? 100_000 + random.nextInt(1_000_000) : random.nextInt(64);
    byte[] b = new byte[n];
    random.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  /** A field number the message does not have, with random bytes: it must be ignored. */
  private void appendUnknownField(Message.Builder b, StringBuilder what) {
    what.append(" unknown field");
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CodedOutputStream c = CodedOutputStream.newInstance(out);
      c.writeByteArray(1000 + random.nextInt(1000), oddBytes().toByteArray());
      c.flush();
      b.mergeFrom(out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private byte[] bytesMutated(Message valid, StringBuilder what) {
    byte[] bytes = valid.toByteArray();
    int op = random.nextInt(5);
    if (op == 0 && bytes.length > 0) {
      int n = random.nextInt(bytes.length);
      what.append("truncated to ").append(n).append(" of ").append(bytes.length).append(" bytes of ").append(shortText(valid));
      return java.util.Arrays.copyOf(bytes, n);
    }
    if (op == 1 && bytes.length > 0) {
      int flips = 1 + random.nextInt(4);
      for (int i = 0; i < flips; i++) {
        bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
      }
      what.append(flips).append(" bits flipped in ").append(shortText(valid));
      return bytes;
    }
    // a string field given bytes that are not UTF-8 (or the wrong wire type)
    List<FieldDescriptor> fields = valid.getDescriptorForType().getFields();
    int number = fields.isEmpty() ? 1 + random.nextInt(8) : fields.get(random.nextInt(fields.size())).getNumber();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      out.write(bytes);
      CodedOutputStream c = CodedOutputStream.newInstance(out);
      if (op == 4) {
        c.writeUInt64(number, random.nextLong());
        what.append("varint in field ").append(number);
      } else {
        byte[] invalid = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xED, (byte) 0xA0, (byte) 0x80, 'a'};
        c.writeByteArray(number, java.util.Arrays.copyOf(invalid, 1 + random.nextInt(invalid.length)));
        what.append("invalid UTF-8 in field ").append(number);
      }
      c.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    what.append(" of ").append(shortText(valid));
    return out.toByteArray();
  }

  private byte[] randomBytes(StringBuilder what) {
    byte[] b = new byte[random.nextInt(200)];
    random.nextBytes(b);
    what.append(b.length).append(" random bytes");
    return b;
  }

  private byte[] oversized(Message valid, StringBuilder what) {
    byte[] bytes = valid.toByteArray();
    int size = random.nextBoolean() ? maxMessageBytes + 1 + random.nextInt(1000) : maxMessageBytes / 2;
    // the padding as one unknown length-delimited field, so that the message still parses
    ByteArrayOutputStream out = new ByteArrayOutputStream(size + 16);
    try {
      out.write(bytes);
      CodedOutputStream c = CodedOutputStream.newInstance(out);
      c.writeByteArray(999, new byte[Math.max(0, size - bytes.length - 8)]);
      c.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] big = out.toByteArray();
    what.append("oversized (").append(big.length).append(" bytes) ").append(shortText(valid));
    return big;
  }

  // ---- helpers

  private <T> T pick(T[] values) {
    return values[random.nextInt(values.length)];
  }

  private <T> T pick(List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  private double pick(double[] values) {
    return values[random.nextInt(values.length)];
  }

  private static String brief(Object v) {
    String s = v instanceof ByteString bs ? bs.size() + " bytes" : String.valueOf(v);
    return s.length() > 40 ? s.substring(0, 40) + "...(" + s.length() + " chars)" : s;
  }

  private static String shortText(Message m) {
    int size = m.getSerializedSize();
    if (size > 20_000) {
      return m.getDescriptorForType().getName() + " of " + size + " bytes";
    }
    String s = TextFormat.shortDebugString(m);
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
