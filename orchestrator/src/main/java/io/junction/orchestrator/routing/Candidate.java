package io.junction.orchestrator.routing;

/**
 * Something a request can be sent to: what routing needs to know of a replica, and nothing
 * more. The pool's replica implements it, so routing never depends on the pool.
 */
public interface Candidate {
  /** A stable name for logs and errors. */
  String id();

  /** Requests sent to it that have not completed yet. May change while it is read. */
  int inFlight();
}
