package io.junction.orchestrator.cli;

import io.grpc.ManagedChannel;
import io.junction.proto.v1.AdminServiceGrpc;
import io.junction.proto.v1.ListPipelinesRequest;
import io.junction.proto.v1.ListPipelinesResponse;
import io.junction.proto.v1.ListPoolsRequest;
import io.junction.proto.v1.ListPoolsResponse;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "status", description = "Pools and their replicas (state, pid, endpoint, device, load, restarts), and the pipelines' fused segments.")
final class StatusCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions client;

  @Override
  public Integer call() {
    ManagedChannel channel = client.channel();
    try {
      AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(client.timeoutSeconds, TimeUnit.SECONDS);
      ListPoolsResponse pools = admin.listPools(ListPoolsRequest.getDefaultInstance());
      ListPipelinesResponse pipelines = admin.listPipelines(ListPipelinesRequest.getDefaultInstance());
      spec.commandLine().getOut().print(client.json
          ? Output.statusJson(pools, pipelines) + "\n" : Output.status(pools) + Output.pipelines(pipelines));
      spec.commandLine().getOut().flush();
      return 0;
    } finally {
      channel.shutdownNow();
    }
  }
}
