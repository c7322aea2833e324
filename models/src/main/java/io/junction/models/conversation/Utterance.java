package io.junction.models.conversation;

/** One user utterance and the intent it expresses. */
public record Utterance(String text, String intent) {}
