package io.junction.models.conversation;

/**
 * One follow-up turn: a text that carries no intent of its own ("yes, two please") and the intent
 * of the turn before it, which the follow-up continues.
 */
public record FollowUp(String previousIntent, String text) {}
