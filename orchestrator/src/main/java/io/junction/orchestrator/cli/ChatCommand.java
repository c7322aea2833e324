package io.junction.orchestrator.cli;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * One turn over ConverseStream: the intent, then each token as it is generated (flushed as it
 * comes), or with --json each event as one line of protobuf JSON. With --interactive, a whole
 * conversation over one Chat stream: each line of standard input is a turn, answered before the
 * next is read, in one session, until end of input.
 */
@Command(name = "chat", description = "One conversation turn: the intent of TEXT and a generated reply, "
    + "printed token by token as it is generated (--json: each event as one JSON line). With --interactive, "
    + "a conversation: each line of standard input is a turn, in one session, until end of input.")
final class ChatCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Parameters(arity = "0..*", paramLabel = "TEXT", description = "What the user says (several words are joined by spaces); "
      + "required unless --interactive.")
  List<String> words = List.of();

  @Option(names = "--session", paramLabel = "ID", description = "Conversation id: the turn joins that session "
      + "(with --interactive, every turn; without, the server makes one for the conversation).")
  String session = "";

  @Option(names = "--max-tokens", paramLabel = "N", description = "At most N generated tokens, 0..64 (0, the default: the pipeline's own limit, 24 in the demo; "
          + "a value above the pipeline's limit does not raise it).")
  int maxTokens;

  @Option(names = "--temperature", paramLabel = "T", description = "0 to 2; 0, the default: greedy (the same reply "
      + "every time); above 0: sample each token, more varied as T grows.")
  float temperature;

  @Option(names = "--top-k", paramLabel = "K", description = "With --temperature: sample only among the K most likely "
      + "tokens, 0 to 1000 (0, the default: all).")
  int topK;

  @Option(names = "--seed", paramLabel = "N", description = "With --temperature: the seed of the draws, an unsigned "
      + "64-bit number; the same seed gives the same reply. Without it the server picks one and the reply prints it.")
  String seed = "0";

  /** --seed as the request's uint64. */
  private long seedBits;

  @Option(names = "--interactive", description = "Read turns from standard input, one a line, over one Chat stream "
      + "(the session holds across them) until end of input; the deadline (--timeout) applies to each turn.")
  boolean interactive;

  @Override
  public Integer call() throws Exception {
    if (interactive && !words.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "TEXT: " + String.join(" ", words) + " (expected: none with --interactive; the turns come on standard input)");
    }
    if (!interactive && words.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "Missing required parameter: 'TEXT' (expected: what the user says, or --interactive)");
    }
    try {
      seedBits = Long.parseUnsignedLong(seed);
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--seed: " + seed + " (expected: 0 to 18446744073709551615)");
    }
    ManagedChannel channel = client.channel();
    try {
      return interactive ? conversation(channel) : turn(channel);
    } finally {
      channel.shutdownNow();
    }
  }

  private int turn(ManagedChannel channel) {
    Iterator<ConverseEvent> events = ConversationServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(client.timeoutSeconds, TimeUnit.SECONDS)
        .converseStream(request(String.join(" ", words)));
    events.forEachRemaining(this::print);
    return 0;
  }

  /** One Chat stream for every line of standard input; each turn is printed before the next line is read. */
  private int conversation(ManagedChannel channel) throws Exception {
    LinkedBlockingQueue<Object> answers = new LinkedBlockingQueue<>();
    StreamObserver<ConverseRequest> turns = ConversationServiceGrpc.newStub(channel).chat(new StreamObserver<>() {
      @Override
      public void onNext(ConverseEvent e) {
        print(e);
        if (e.hasDone()) {
          answers.add(e);
        }
      }

      @Override
      public void onError(Throwable t) {
        answers.add(t);
      }

      @Override
      public void onCompleted() {
        answers.add(Boolean.TRUE);
      }
    });
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      turns.onNext(request(line));
      Object answer = answers.poll(client.timeoutSeconds, TimeUnit.SECONDS);
      if (answer == null) {
        turns.onError(Status.DEADLINE_EXCEEDED.asRuntimeException());
        throw Status.DEADLINE_EXCEEDED.withDescription("no answer to the turn within " + client.timeoutSeconds
            + " s (expected: within --timeout)").asRuntimeException();
      }
      if (answer instanceof Throwable t) {
        throw t instanceof Exception e ? e : new RuntimeException(t);
      }
    }
    turns.onCompleted();
    Object end = answers.poll(client.timeoutSeconds, TimeUnit.SECONDS);
    if (end instanceof Throwable t) {
      throw t instanceof Exception e ? e : new RuntimeException(t);
    }
    return 0;
  }

  private ConverseRequest request(String text) {
    return ConverseRequest.newBuilder().setText(text).setSessionId(session).setMaxTokens(maxTokens)
        .setTemperature(temperature).setTopK(topK).setSeed(seedBits).build();
  }

  private void print(ConverseEvent e) {
    PrintWriter out = spec.commandLine().getOut();
    out.print(client.json ? Output.jsonLine(e) + "\n" : Output.chat(e));
    out.flush();
  }
}
