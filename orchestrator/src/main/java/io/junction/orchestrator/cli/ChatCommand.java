package io.junction.orchestrator.cli;

import io.grpc.ManagedChannel;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * One turn over ConverseStream: the intent, then each token as it is generated (flushed as it
 * comes), or with --json each event as one line of protobuf JSON.
 */
@Command(name = "chat", description = "One conversation turn: the intent of TEXT and a generated reply, "
    + "printed token by token as it is generated (--json: each event as one JSON line).")
final class ChatCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Parameters(arity = "1..*", paramLabel = "TEXT", description = "What the user says (several words are joined by spaces).")
  List<String> words;

  @Option(names = "--session", paramLabel = "ID", description = "Conversation id, echoed back.")
  String session = "";

  @Option(names = "--max-tokens", paramLabel = "N", description = "At most N generated tokens, 0..64 (0, the default: the pipeline's own limit, 24 in the demo; "
          + "a value above the pipeline's limit does not raise it).")
  int maxTokens;

  @Override
  public Integer call() {
    ConverseRequest request = ConverseRequest.newBuilder()
        .setText(String.join(" ", words))
        .setSessionId(session)
        .setMaxTokens(maxTokens)
        .build();
    ManagedChannel channel = client.channel();
    try {
      Iterator<ConverseEvent> events = ConversationServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(client.timeoutSeconds, TimeUnit.SECONDS)
          .converseStream(request);
      PrintWriter out = spec.commandLine().getOut();
      events.forEachRemaining(e -> {
        out.print(client.json ? Output.jsonLine(e) + "\n" : Output.chat(e));
        out.flush();
      });
      return 0;
    } finally {
      channel.shutdownNow();
    }
  }
}
