package io.junction.orchestrator.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into an orderly stop on the main thread. With only a shutdown hook
 * the JVM would exit 143 after a SIGTERM; handling the signal lets {@code serve} drain, stop
 * its workers and exit 0, which is what process managers read as a clean stop. sun.misc.Signal
 * is the JDK's only way to do this (module jdk.unsupported); if it is refused, the shutdown
 * hook {@code serve} also installs still stops everything.
 */
final class Shutdown {
  private static final Logger log = LoggerFactory.getLogger(Shutdown.class);

  private Shutdown() {}

  static void onSignals(Runnable stop) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), s -> {
          log.info("SIG{} received", s.getName());
          stop.run();
        });
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        log.warn("cannot handle SIG{} ({}); relying on the shutdown hook", name, e.getMessage());
      }
    }
  }
}
