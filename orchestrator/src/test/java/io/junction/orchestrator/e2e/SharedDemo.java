package io.junction.orchestrator.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One demo orchestrator (`junction serve` with no config, with its two worker JVMs) for all the
 * test classes of a surefire fork that only send it requests, so that the demo starts once per
 * fork instead of once per class (its pools took 7 to 32 s to start here, on two busy cores). A
 * class asks for it with {@code @ExtendWith(SharedDemo.class)} and an {@link OrchestratorProcess}
 * parameter on its {@code @BeforeAll} method, and never closes it: the first class that asks
 * starts it, the JUnit engine's root store closes it when the fork's last class has run.
 *
 * <p>What a class on it must not do: drain, kill or signal the orchestrator or a worker, change
 * its config, assert on a counter or a log as if they started from zero (take a delta), or leave
 * behind what changes another class's answers (ManyStreamsTest ends its 1,200 sessions, which
 * would fill ListSessions' page), so that the classes pass in any order. A class that needs any of
 * that starts its own process ({@link OrchestratorProcess#startDemo}).
 */
final class SharedDemo implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedDemo.class);
  /** The first start: a cold JVM loads both workers' models and warms them up. */
  private static final Duration FIRST_READY = Duration.ofSeconds(240);
  /** Later classes: the demo is ready already unless something broke it, which this reports. */
  private static final Duration READY = Duration.ofSeconds(60);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == OrchestratorProcess.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Running running = context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent(Running.class, k -> Running.start(), Running.class);
    try {
      running.process().awaitPools(OrchestratorProcess::allReady, READY);
    } catch (Exception e) {
      throw new AssertionError("the shared demo is not ready for " + context.getDisplayName(), e);
    }
    return running.process();
  }

  /** The shared process as a resource of the root store, closed once after the fork's last class. */
  private record Running(OrchestratorProcess process) implements ExtensionContext.Store.CloseableResource {
    static Running start() {
      OrchestratorProcess process;
      try {
        process = OrchestratorProcess.startDemo("shared-demo");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      try {
        process.awaitPools(OrchestratorProcess::allReady, FIRST_READY);
        return new Running(process);
      } catch (Throwable t) {
        // not stored, so nothing else would stop it
        closeQuietly(process, t);
        throw t instanceof Error error ? error : new AssertionError("the shared demo did not get ready", t);
      }
    }

    private static void closeQuietly(OrchestratorProcess process, Throwable cause) {
      try {
        process.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        cause.addSuppressed(e);
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.close();
    }
  }
}
