package io.junction.orchestrator.cli;

import io.grpc.ManagedChannel;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.DrainReplicaRequest;
import io.junction.proto.v1.DrainReplicaResponse;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "drain", description = "Drain one replica (AdminService.DrainReplica): it leaves routing, its calls finish, "
    + "then it leaves; a replica of a local pool is replaced by a fresh worker. Follow it with `junction status`.")
final class DrainCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Parameters(paramLabel = "REPLICA", description = "The replica's id, as `junction status` shows it (for example chat-0).")
  String replica;

  @Override
  public Integer call() {
    ManagedChannel channel = client.channel();
    try {
      DrainReplicaResponse r = AdminServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(client.timeoutSeconds, TimeUnit.SECONDS)
          .drainReplica(DrainReplicaRequest.newBuilder().setReplicaId(replica).build());
      spec.commandLine().getOut().print(client.json ? Output.json(r) + "\n" : Output.drain(r));
      spec.commandLine().getOut().flush();
      return 0;
    } finally {
      channel.shutdownNow();
    }
  }
}
