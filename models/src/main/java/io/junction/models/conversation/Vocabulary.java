package io.junction.models.conversation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The responder's token ids: 0 padding, 1 start (BOS), 2 end (EOS), 3 unknown, then every reply
 * token in sorted order (sorted, not first-seen, so reordering responses.tsv keeps the ids).
 */
public final class Vocabulary {
  public static final int PAD = 0;
  public static final int BOS = 1;
  public static final int EOS = 2;
  public static final int UNK = 3;
  private static final List<String> SPECIAL = List.of("<pad>", "<s>", "</s>", "<unk>");

  private final List<String> tokens;
  private final Map<String, Integer> ids = new HashMap<>();

  private Vocabulary(List<String> tokens) {
    this.tokens = List.copyOf(tokens);
    for (int i = 0; i < tokens.size(); i++) {
      ids.put(tokens.get(i), i);
    }
  }

  public static Vocabulary of(ResponseSet responses) {
    TreeSet<String> words = new TreeSet<>();
    responses.replies().forEach(r -> words.addAll(r.tokens()));
    words.removeAll(SPECIAL);
    List<String> tokens = new ArrayList<>(SPECIAL);
    tokens.addAll(words);
    return new Vocabulary(tokens);
  }

  public int size() {
    return tokens.size();
  }

  public int id(String token) {
    return ids.getOrDefault(token, UNK);
  }

  public String token(int id) {
    return tokens.get(id);
  }

  public List<String> tokens() {
    return tokens;
  }
}
