package io.junction.bench;

/**
 * One system under test, seen as an asynchronous call per reference case. Implementations build
 * every request up front, so that the measured time is the call and not the building of it.
 */
interface Target extends AutoCloseable {

  /** Sends the request of case {@code caseIndex} (modulo the number of cases) and reports once. */
  void send(int caseIndex, Outcome outcome);

  /** How many distinct reference cases the target cycles through. */
  int cases();

  @Override
  void close();

  /** The answer to one call: exactly one of these is called, exactly once. */
  interface Outcome {
    void ok();

    /** A failed call or a wrong answer; {@code what} says which, in a few words. */
    void error(String what);
  }
}
