package io.junction.orchestrator.cli;

import io.grpc.ManagedChannel;
import io.junction.proto.v1.RecommendRequest;
import io.junction.proto.v1.RecommendResponse;
import io.junction.proto.v1.RecommendationServiceGrpc;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "recommend", description = "The top K items for a user, highest score first.")
final class RecommendCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Option(names = "--user", required = true, paramLabel = "N", description = "The user id.")
  long user;

  int k = 10;

  @Option(names = "--k", paramLabel = "K", description = "How many items (default: ${DEFAULT-VALUE}).", defaultValue = "10")
  void k(int value) {
    if (value < 1) {
      throw new ParameterException(spec.commandLine(), "--k: " + value + " (expected: >= 1)");
    }
    k = value;
  }

  @Override
  public Integer call() {
    ManagedChannel channel = client.channel();
    try {
      RecommendResponse r = RecommendationServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(client.timeoutSeconds, TimeUnit.SECONDS)
          .recommend(RecommendRequest.newBuilder().setUserId(user).setK(k).build());
      spec.commandLine().getOut().print(client.json ? Output.json(r) + "\n" : Output.recommend(r));
      spec.commandLine().getOut().flush();
      return 0;
    } finally {
      channel.shutdownNow();
    }
  }
}
