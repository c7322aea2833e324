package io.junction.orchestrator.admission;

/**
 * Admission's counts at one moment, for status, metrics and tests.
 *
 * @param inFlight      requests admitted and not ended, every priority
 * @param batchInFlight of which batch
 * @param admitted      requests admitted since start
 * @param rejectedInteractive interactive requests refused at the door since start
 * @param rejectedBatch batch requests refused at the door since start
 * @param succeeded     admitted requests that ended with an answer
 * @param failed        admitted requests that ended with an error
 * @param cancelled     admitted requests their client gave up (cancel, deadline)
 */
public record AdmissionSnapshot(int inFlight, int batchInFlight, long admitted, long rejectedInteractive,
    long rejectedBatch, long succeeded, long failed, long cancelled) {}
