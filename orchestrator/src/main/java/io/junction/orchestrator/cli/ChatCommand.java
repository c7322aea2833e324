package io.junction.orchestrator.cli;

import io.grpc.ManagedChannel;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "chat", description = "One conversation turn: the intent of TEXT and a generated reply.")
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
      ConverseResponse r = ConversationServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(client.timeoutSeconds, TimeUnit.SECONDS)
          .converse(request);
      spec.commandLine().getOut().print(client.json ? Output.json(r) + "\n" : Output.chat(r));
      spec.commandLine().getOut().flush();
      return 0;
    } finally {
      channel.shutdownNow();
    }
  }
}
