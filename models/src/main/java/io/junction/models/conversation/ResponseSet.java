package io.junction.models.conversation;

import java.util.List;

/**
 * The shipped replies (responses.tsv), tokenised on whitespace. Tokens keep their punctuation
 * ("you.", "Hello!"), so whoever streams the responder's tokens rebuilds the text by joining them
 * with single spaces, with no detokeniser to keep in step.
 */
public record ResponseSet(List<Reply> replies) {
  /** One reply and the intent it answers. */
  public record Reply(String intent, List<String> tokens) {
    public Reply {
      tokens = List.copyOf(tokens);
    }
  }

  public ResponseSet {
    replies = List.copyOf(replies);
  }

  public static ResponseSet load(List<String> labels) {
    List<Reply> replies = TsvResource.read("responses.tsv").stream().map(row -> {
      if (!labels.contains(row.key())) {
        throw new IllegalStateException("responses.tsv:" + row.line() + ": intent " + row.key()
            + " (expected: one of " + labels + ")");
      }
      return new Reply(row.key(), List.of(row.text().split("\\s+")));
    }).toList();
    for (String label : labels) {
      if (replies.stream().noneMatch(r -> r.intent().equals(label))) {
        throw new IllegalStateException("responses.tsv: no reply for intent " + label);
      }
    }
    return new ResponseSet(replies);
  }
}
