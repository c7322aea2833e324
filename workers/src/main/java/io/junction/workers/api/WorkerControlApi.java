package io.junction.workers.api;

import io.grpc.stub.StreamObserver;
import io.junction.proto.v1.BatchSizeBucket;
import io.junction.proto.v1.DrainRequest;
import io.junction.proto.v1.DrainResponse;
import io.junction.proto.v1.InjectFaultRequest;
import io.junction.proto.v1.InjectFaultResponse;
import io.junction.proto.v1.LoadModelRequest;
import io.junction.proto.v1.LoadModelResponse;
import io.junction.proto.v1.ModelStats;
import io.junction.proto.v1.StatsRequest;
import io.junction.proto.v1.StatsResponse;
import io.junction.proto.v1.UnloadModelRequest;
import io.junction.proto.v1.UnloadModelResponse;
import io.junction.proto.v1.WorkerControlGrpc;
import io.junction.workers.serving.BatchStats;
import io.junction.workers.serving.FaultSwitch;
import io.junction.workers.serving.ModelHost;
import io.junction.workers.serving.WorkerStats;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * {@code junction.v1.WorkerControl} over a {@link ModelHost}. Load and Unload block in the
 * engine, so they run on {@code control}, an executor of their own, never on the transport's
 * threads; Drain completes asynchronously; Stats is a snapshot.
 */
public final class WorkerControlApi extends WorkerControlGrpc.WorkerControlImplBase {
  static final long DEFAULT_GRACE_MILLIS = 30_000;

  private final ModelHost host;
  private final WorkerHealth health;
  private final Executor control;

  public WorkerControlApi(ModelHost host, WorkerHealth health, Executor control) {
    this.host = host;
    this.health = health;
    this.control = control;
  }

  @Override
  public void load(LoadModelRequest request, StreamObserver<LoadModelResponse> out) {
    offload(out, () -> {
      long millis = host.load(request.getModel());
      return LoadModelResponse.newBuilder().setModel(request.getModel()).setLoadMillis(millis).build();
    });
  }

  @Override
  public void unload(UnloadModelRequest request, StreamObserver<UnloadModelResponse> out) {
    offload(out, () -> {
      host.unload(request.getModel());
      return UnloadModelResponse.getDefaultInstance();
    });
  }

  @Override
  public void drain(DrainRequest request, StreamObserver<DrainResponse> out) {
    long grace = request.getGraceMillis();
    if (grace < 0) {
      out.onError(io.grpc.Status.INVALID_ARGUMENT
          .withDescription("grace_millis: " + grace + " (expected: >= 0; 0 means " + DEFAULT_GRACE_MILLIS + ")")
          .asRuntimeException());
      return;
    }
    health.draining();
    host.drain(Duration.ofMillis(grace == 0 ? DEFAULT_GRACE_MILLIS : grace)).whenComplete((abandoned, error) -> {
      if (error != null) {
        out.onError(StatusMapper.toException(error));
      } else {
        out.onNext(DrainResponse.newBuilder().setAbandoned(abandoned).build());
        out.onCompleted();
      }
    });
  }

  @Override
  public void stats(StatsRequest request, StreamObserver<StatsResponse> out) {
    WorkerStats s = host.stats();
    StatsResponse.Builder b = StatsResponse.newBuilder()
        .setPid(s.pid())
        .setDevice(s.device())
        .setRequestedDevice(s.requestedDevice())
        .setFellBack(s.fellBack())
        .setReady(s.ready())
        .setDraining(s.draining())
        .setCpus(s.cpus())
        .setInFlight(s.inFlight())
        .setModelThreads(s.modelThreads())
        .setIntraOpThreads(s.intraOpThreads())
        .setInterOpThreads(s.interOpThreads());
    for (WorkerStats.Model m : s.models()) {
      ModelStats.Builder model = ModelStats.newBuilder()
          .setName(m.name())
          .setVersion(m.version())
          .setReady(m.ready())
          .setCalls(m.calls())
          .setErrors(m.errors())
          .setRows(m.rows())
          .setTotalMicros(m.totalMicros())
          .setWarmupCalls(m.warmupCalls())
          .setWarmupMicros(m.warmupMicros());
      m.batching().ifPresent(batching -> batchStats(model, batching));
      b.addModels(model);
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  /** Test only: see {@link FaultSwitch}; refused (FAILED_PRECONDITION) unless the worker allows it. */
  @Override
  public void injectFault(InjectFaultRequest request, StreamObserver<InjectFaultResponse> out) {
    FaultSwitch.Fault fault = switch (request.getFault()) {
      case NONE -> FaultSwitch.Fault.NONE;
      case UNAVAILABLE -> FaultSwitch.Fault.UNAVAILABLE;
      case INTERNAL -> FaultSwitch.Fault.INTERNAL;
      default -> null;
    };
    if (fault == null) {
      out.onError(io.grpc.Status.INVALID_ARGUMENT
          .withDescription("fault: " + request.getFaultValue() + " (expected: NONE, UNAVAILABLE or INTERNAL)")
          .asRuntimeException());
      return;
    }
    FaultSwitch.Fault previous;
    try {
      previous = host.faults().set(fault);
    } catch (RuntimeException e) {
      out.onError(StatusMapper.toException(e));
      return;
    }
    out.onNext(InjectFaultResponse.newBuilder()
        .setPrevious(InjectFaultRequest.Fault.valueOf(previous.name()))
        .setFailedCalls(host.faults().failed())
        .build());
    out.onCompleted();
  }

  private static void batchStats(ModelStats.Builder model, BatchStats s) {
    model.setBatching(true)
        .setBatches(s.batches())
        .setBatchRows(s.rows())
        .setBatchedRequests(s.jobs())
        .setQueueMicrosTotal(s.queueMicrosTotal())
        .setQueueMicrosMax(s.queueMicrosMax());
    for (BatchStats.Bucket bucket : s.sizes()) {
      model.addBatchSizes(BatchSizeBucket.newBuilder()
          .setLe(bucket.le() == Long.MAX_VALUE ? 0 : bucket.le())
          .setBatches(bucket.batches()));
    }
  }

  private <T> void offload(StreamObserver<T> out, java.util.function.Supplier<T> work) {
    try {
      control.execute(() -> {
        T response;
        try {
          response = work.get();
        } catch (RuntimeException | Error e) {
          // An Error too (a native library that will not link, say): otherwise the call would
          // wait for its deadline, or forever without one. The mapper logs it as INTERNAL.
          out.onError(StatusMapper.toException(e));
          if (e instanceof VirtualMachineError fatal) {
            throw fatal;
          }
          return;
        }
        out.onNext(response);
        out.onCompleted();
      });
    } catch (RejectedExecutionException e) {
      if (control instanceof ExecutorService es && es.isShutdown()) {
        out.onError(io.grpc.Status.UNAVAILABLE
            .withDescription("control: refused, the worker is shutting down (expected: a running worker)")
            .asRuntimeException());
      } else {
        String waiting = control instanceof ThreadPoolExecutor pool ? pool.getQueue().size() + " " : "";
        out.onError(io.grpc.Status.RESOURCE_EXHAUSTED
            .withDescription("control queue: full, " + waiting + "Load/Unload calls waiting (expected: fewer at once;"
                + " they run one at a time)")
            .asRuntimeException());
      }
    }
  }
}
