package io.junction.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import io.junction.grpc.EventLoops;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.junction.engine.PipelineDescription;
import io.junction.engine.PipelineResult;
import io.junction.orchestrator.api.ApiLimits;
import io.junction.orchestrator.api.FakePipelines;
import io.junction.orchestrator.api.FakePools;
import io.junction.orchestrator.pool.PoolSnapshot;
import io.junction.orchestrator.pool.PoolSpec;
import io.junction.orchestrator.server.JunctionServer;
import io.junction.orchestrator.server.ServerOptions;
import io.junction.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The client commands run in-process against a real server on loopback over fake pools and pipelines. */
class ClientCommandsTest {
  private static final FakePools pools = new FakePools();
  private static final FakePipelines pipelines = new FakePipelines();
  private static final EventLoops loops = EventLoops.create("test-grpc", 1);
  private static JunctionServer server;
  private static String target;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void start() throws IOException {
    PipelineDescription chat = FakePipelines.chat();
    chat = new PipelineDescription(chat.name(), chat.inputs(), chat.outputs(), chat.steps(),
        List.of(new PipelineDescription.Segment("chat/0-0a1b2c3d", "conversation", chat.steps())));
    // As a real run: the intent told first, then each token as the decode loop makes it.
    pipelines.putStreaming(chat, (in, o, d, listener) -> {
      listener.onOutput("intent", Tensor.ofStrings("intent", new long[] {1}, List.of("book_flight")));
      listener.onOutput("confidence", Tensor.ofFloats("confidence", new long[] {1}, 0.9712f));
      List<String> tokens = List.of("sure", ",", "where?");
      for (int i = 0; i < tokens.size(); i++) {
        listener.onIteration("decode", i, List.of(Tensor.ofStrings("next_token", new long[] {1}, List.of(tokens.get(i)))));
      }
      return FakePipelines.done("chat",
          Tensor.ofStrings("intent", new long[] {1}, List.of("book_flight")),
          Tensor.ofFloats("confidence", new long[] {1}, 0.9712f),
          Tensor.ofStrings("tokens", new long[] {3}, tokens));
    });
    pipelines.put(FakePipelines.recommend(), (in, o, d) -> ranked());
    pools.snapshot(List.of(FakePools.pool("conversation", List.of("featurizer", "intent"), "READY", "FAILED"),
        withSessionAffinity(FakePools.pool("recommendation", List.of("ranker"), "READY"))));
    server = new JunctionServer(new ServerOptions("127.0.0.1", 0, 0, 1 << 20, Duration.ofSeconds(1)),
        pools, pipelines, ApiLimits.DEFAULT, loops).start();
    target = "127.0.0.1:" + server.grpcPort();
  }

  @AfterAll
  static void stop() {
    server.close();
    loops.close();
  }

  @BeforeEach
  void forget() {
    pipelines.forget();
  }

  private static PoolSnapshot withSessionAffinity(PoolSnapshot p) {
    return new PoolSnapshot(p.name(), p.kind(), p.models(), p.device(), PoolSpec.Affinity.SESSION, p.replicas());
  }

  private static CompletableFuture<PipelineResult> ranked() {
    return FakePipelines.done("recommend",
        Tensor.ofLongs("items", new long[] {1, 4}, 17, 3, 99, 5),
        Tensor.ofFloats("scores", new long[] {1, 4}, 0.9f, 0.75f, 0.5f, 0.25f));
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = JunctionCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void chatPrintsIntentConfidenceAndReply() {
    Run r = run("chat", "book", "me", "a", "flight", "--target", target);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("intent: book_flight (0.97)\nreply: sure , where?\n");
    assertThat(pipelines.last().inputs().get(0).strings()).containsExactly("book me a flight");
  }

  @Test
  void chatSendsItsDecodingOptionsAndPrintsTheSeedOfASampledReply() {
    Run r = run("chat", "hi", "--target", target, "--temperature", "0.8", "--top-k", "4", "--seed", "18446744073709551615");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("intent: book_flight (0.97)\nreply: sure , where?\nseed: 18446744073709551615\n");
    List<Tensor> in = pipelines.last().inputs();
    assertThat(in).extracting(Tensor::name).containsExactly("text", "temperature", "top_k", "seed");
    assertThat(in.get(1).floats()).containsExactly(0.8f);
    assertThat(in.get(2).ints()).containsExactly(4);
    assertThat(in.get(3).longs()).containsExactly(-1L);

    Run bad = run("chat", "hi", "--target", target, "--seed", "-1");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--seed: -1 (expected: 0 to 18446744073709551615)");
    Run hot = run("chat", "hi", "--target", target, "--temperature", "3");
    assertThat(hot.exit()).isNotZero();
    assertThat(hot.err()).contains("temperature: 3.0 (expected: 0 to 2)");
  }

  @Test
  void chatJsonPrintsEachEventOfTheStreamAsOneLine() {
    Run r = run("chat", "hi", "--target", target, "--json", "--session", "s1", "--max-tokens", "5");
    assertThat(r.exit()).as(r.err()).isZero();
    List<JsonObject> lines = r.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
    assertThat(lines).hasSize(5);
    assertThat(lines.get(0).getAsJsonObject("intent").get("intent").getAsString()).isEqualTo("book_flight");
    assertThat(lines.subList(1, 4)).extracting(l -> l.get("token").getAsString()).containsExactly("sure", ",", "where?");
    JsonObject json = lines.get(4).getAsJsonObject("done");
    assertThat(json.get("intent").getAsString()).isEqualTo("book_flight");
    assertThat(json.get("confidence").getAsFloat()).isEqualTo(0.9712f);
    assertThat(json.get("reply").getAsString()).isEqualTo("sure , where?");
    assertThat(json.getAsJsonArray("tokens")).hasSize(3);
    assertThat(json.get("sessionId").getAsString()).isEqualTo("s1");
    assertThat(pipelines.last().options().maxIterations()).isEqualTo(OptionalInt.of(5));
  }

  @Test
  void chatInteractiveAnswersEachLineOfStandardInputInTurnOnOneStreamInOneSession() {
    java.io.InputStream stdin = System.in;
    System.setIn(new java.io.ByteArrayInputStream("book me a flight\n\n  \nand a hotel\n"
        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    Run r;
    try {
      r = run("chat", "--interactive", "--json", "--target", target);
    } finally {
      System.setIn(stdin);
    }
    assertThat(r.exit()).as(r.err()).isZero();
    List<JsonObject> lines = r.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
    // Two turns (blank lines are not turns), each intent, three tokens, done, in order.
    assertThat(lines).extracting(l -> l.keySet().iterator().next())
        .containsExactly("intent", "token", "token", "token", "done", "intent", "token", "token", "token", "done");
    String first = lines.get(4).getAsJsonObject("done").get("sessionId").getAsString();
    assertThat(first).as("a session the server made for the stream").startsWith("chat-");
    assertThat(lines.get(9).getAsJsonObject("done").get("sessionId").getAsString()).isEqualTo(first);
    assertThat(pipelines.last().inputs().get(0).strings()).containsExactly("and a hotel");
  }

  @Test
  void chatInteractiveTakesNoTextAndChatWithoutItNeedsText() {
    assertThat(run("chat", "hello", "--interactive", "--target", target).exit()).isEqualTo(2);
    Run none = run("chat", "--target", target);
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("Missing required parameter: 'TEXT' (expected: what the user says, or --interactive)");
  }

  @Test
  void aServerErrorIsPrintedWithItsCodeAndExitsOne() {
    Run r = run("chat", "   ", "--target", target);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("error: INVALID_ARGUMENT: text: empty (expected: 1 to 2000 characters)\n");

    Run k = run("recommend", "--user", "1", "--k", "51", "--target", target);
    assertThat(k.exit()).isEqualTo(1);
    assertThat(k.err()).isEqualTo("error: INVALID_ARGUMENT: k: 51 (expected: 1..50)\n");
  }

  @Test
  void recommendPrintsARankedTable() {
    Run r = run("recommend", "--user", "42", "--k", "3", "--target", target);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("""
        RANK  ITEM  SCORE
        1     17    0.9000
        2     3     0.7500
        3     99    0.5000
        """);
    assertThat(pipelines.last().inputs().get(0).longs()).containsExactly(42L);
  }

  @Test
  void recommendJsonHasItemIdsAndScores() {
    Run r = run("recommend", "--user", "42", "--target", target, "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonArray items = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("items");
    assertThat(items).hasSize(4);
    assertThat(items.get(0).getAsJsonObject().get("itemId").getAsLong()).isEqualTo(17L);
    assertThat(items.get(3).getAsJsonObject().get("score").getAsFloat()).isEqualTo(0.25f);
  }

  @Test
  void statusPrintsEachPoolAndItsReplicas() {
    Run r = run("status", "--target", target);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("pool conversation (local, cpu): 1/2 ready; models: featurizer, intent\n")
        .contains("pool recommendation (local, cpu, affinity: session): 1/1 ready; models: ranker\n")
        .containsPattern("\n  REPLICA +STATE +PID +ENDPOINT +SOCKET +DEVICE +CPUS +IN FLIGHT +RESTARTS +LAST ERROR\n")
        .containsPattern("\n  conversation-0 +READY +1000 +127\\.0\\.0\\.1:9000 +- +cpu +0-1 +0 +0\n")
        .containsPattern("\n  conversation-1 +FAILED +1001 +127\\.0\\.0\\.1:9001 +- +cpu +- +1 +0 +exited with 1\n")
        .contains("\npipeline chat: 1 fused segment\n")
        .containsPattern("\n  SEGMENT +POOL +STEPS\n  chat/0-0a1b2c3d +conversation +"
            + String.join(", ", FakePipelines.chat().steps()) + "\n")
        .contains("\npipeline recommend: no fused segment; steps one call each: "
            + String.join(", ", FakePipelines.recommend().steps()) + "\n");
  }

  @Test
  void statusJsonListsEveryReplicaWithDefaultsIncluded() {
    Run r = run("status", "--target", target, "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonArray pools = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("pools");
    assertThat(pools).hasSize(2);
    JsonObject replica = pools.get(0).getAsJsonObject().getAsJsonArray("replicas").get(0).getAsJsonObject();
    assertThat(replica.get("state").getAsString()).isEqualTo("READY");
    assertThat(replica.get("pid").getAsLong()).isEqualTo(1000L);
    assertThat(replica.get("inFlight").getAsInt()).as("zero is printed, not left out").isZero();
    assertThat(pools.get(0).getAsJsonObject().get("affinity").getAsString()).isEqualTo("none");
    assertThat(pools.get(1).getAsJsonObject().get("affinity").getAsString()).isEqualTo("session");
    JsonArray described = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("pipelines");
    assertThat(described).hasSize(2);
    JsonObject segment = described.get(0).getAsJsonObject().getAsJsonArray("segments").get(0).getAsJsonObject();
    assertThat(segment.get("id").getAsString()).isEqualTo("chat/0-0a1b2c3d");
    assertThat(segment.get("pool").getAsString()).isEqualTo("conversation");
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(run("chat", "--target", target).exit()).as("no TEXT").isEqualTo(2);
    assertThat(run("recommend", "--target", target).exit()).as("no --user").isEqualTo(2);
    assertThat(run("recommend", "--user", "x", "--target", target).exit()).isEqualTo(2);
    assertThat(run("frobnicate").exit()).isEqualTo(2);
    assertThat(run("models").exit()).as("models needs a subcommand").isEqualTo(2);
    assertThat(run("models", "build", "--out").exit()).as("--out needs DIR").isEqualTo(2);
    Run k = run("recommend", "--user", "1", "--k", "0", "--target", target);
    assertThat(k.exit()).isEqualTo(2);
    assertThat(k.err()).contains("--k: 0 (expected: >= 1)");
    Run timeout = run("status", "--timeout", "0", "--target", target);
    assertThat(timeout.exit()).isEqualTo(2);
    assertThat(timeout.err()).contains("--timeout: 0 (expected: >= 1 seconds)");
    for (String bad : List.of("localhost", "localhost:", ":8500", "localhost:http", "localhost:70000")) {
      Run t = run("status", "--target", bad);
      assertThat(t.exit()).as(bad).isEqualTo(2);
      assertThat(t.err()).contains("--target: \"" + bad + "\" (expected: host:port");
    }
    assertThat(pipelines.last()).as("nothing was sent").isNull();
  }

  @Test
  void nothingListeningIsUnavailableAndSaysWhatToCheck() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = run("status", "--target", "127.0.0.1:" + port, "--timeout", "5");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: UNAVAILABLE").contains("--target");
  }

  @Test
  void helpAndVersionExitZero() {
    Run help = run("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("chat").contains("recommend").contains("status");
    assertThat(run("--version").exit()).isZero();
  }

  @Test
  void everySubcommandTakesHelp() {
    for (String[] args : new String[][] {{"chat", "--help"}, {"recommend", "--help"}, {"status", "--help"},
        {"serve", "--help"}, {"models", "build", "--help"}}) {
      Run r = run(args);
      assertThat(r.exit()).as(String.join(" ", args)).isZero();
      assertThat(r.out()).as(String.join(" ", args)).contains("Usage: junction");
    }
  }

  @Test
  void serveRefusesBadPortFlagsAsWrongUsageBeforeLoadingAnything() {
    Run outOfRange = run("serve", "--config", "/nonexistent.yaml", "--port", "70000");
    assertThat(outOfRange.exit()).isEqualTo(JunctionCli.USAGE);
    assertThat(outOfRange.err()).contains("--port: 70000 (expected: 0..65535)");

    Run same = run("serve", "--config", "/nonexistent.yaml", "--http-port", "-1");
    assertThat(same.exit()).isEqualTo(JunctionCli.USAGE);
    assertThat(same.err()).contains("--http-port: -1 (expected: 0..65535)");
  }
}
