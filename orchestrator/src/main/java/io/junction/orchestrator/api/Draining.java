package io.junction.orchestrator.api;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether the server has begun to drain, and who must hear of it when it does. The server turns
 * it on once, at the start of shutdown; from then on new calls are refused and open Chat
 * streams close after the turn they are in. Listeners are told once, on the thread that begins
 * the drain, or at once when they register after it: they must not block.
 */
public final class Draining {
  private final AtomicBoolean draining = new AtomicBoolean();
  private final Set<Runnable> listeners = ConcurrentHashMap.newKeySet();

  public boolean isDraining() {
    return draining.get();
  }

  /** Starts the drain and tells every listener. Once; later calls do nothing. */
  public void begin() {
    if (!draining.compareAndSet(false, true)) {
      return;
    }
    for (Runnable r : listeners) {
      if (listeners.remove(r)) { // a listener that registers meanwhile may run itself: once either way
        r.run();
      }
    }
  }

  /**
   * Tells {@code onDrain} when the drain begins (at once if it has); the returned handle stops
   * that, for a stream that ended first. Called once whichever way: registered then told, or
   * told here.
   */
  Runnable register(Runnable onDrain) {
    listeners.add(onDrain);
    if (draining.get() && listeners.remove(onDrain)) {
      onDrain.run();
    }
    return () -> listeners.remove(onDrain);
  }
}
