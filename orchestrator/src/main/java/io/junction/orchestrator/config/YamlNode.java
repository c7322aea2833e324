package io.junction.orchestrator.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A YAML node with its path in the file ({@code pools[1].replicas}), read through accessors
 * that say what they expected when the node is something else. Every error of the loader
 * comes from {@link #fail}, so every message has the same shape: file, path, value,
 * expectation, line.
 */
final class YamlNode {
  private final String file;
  private final String path;
  private final Node node;
  /** For a key that is absent: the mapping that lacks it, for the line number. */
  private final Node parent;

  private YamlNode(String file, String path, Node node, Node parent) {
    this.file = file;
    this.path = path;
    this.node = node;
    this.parent = parent;
  }

  static YamlNode root(String file, Node node) {
    return new YamlNode(file, "", node, null);
  }

  String path() {
    return path;
  }

  ConfigException fail(String problem) {
    Node at = node != null ? node : parent;
    return new ConfigException(file, path, problem, at == null ? 0 : at.getStartMark().getLine() + 1);
  }

  /** {@code <value> (expected: <expected>)}. */
  ConfigException expected(String expected) {
    return fail(shown() + " (expected: " + expected + ")");
  }

  /** The value as an error message shows it: strings quoted, numbers plain, collections named. */
  String shown() {
    if (node instanceof ScalarNode s) {
      if (s.getTag().equals(Tag.NULL)) {
        return "null";
      }
      return s.getTag().equals(Tag.STR) ? "\"" + s.getValue() + "\"" : s.getValue();
    }
    return node instanceof SequenceNode ? "a list" : node instanceof MappingNode ? "a mapping" : "nothing";
  }

  /** The keys of a mapping, in order; unknown and repeated keys are errors. */
  Fields fields(String expected, List<String> allowed) throws ConfigException {
    if (!(node instanceof MappingNode m)) {
      throw expected(expected);
    }
    Map<String, YamlNode> out = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode k)) {
        throw new YamlNode(file, path, t.getKeyNode(), node).fail("a key that is not text (expected one of: "
            + String.join(", ", allowed) + ")");
      }
      YamlNode child = new YamlNode(file, child(k.getValue()), t.getValueNode(), node);
      if (!allowed.contains(k.getValue())) {
        throw new YamlNode(file, child.path, t.getKeyNode(), node)
            .fail("unknown key (expected one of: " + String.join(", ", allowed) + ")");
      }
      if (out.put(k.getValue(), child) != null) {
        throw new YamlNode(file, child.path, t.getKeyNode(), node).fail("given twice (expected: each key once)");
      }
    }
    return new Fields(this, out);
  }

  /** A mapping with keys of the user's choosing (step inputs): repeated keys are errors. */
  Map<String, YamlNode> entries(String expected) throws ConfigException {
    if (!(node instanceof MappingNode m)) {
      throw expected(expected);
    }
    Map<String, YamlNode> out = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode k) || k.getValue().isEmpty()) {
        throw new YamlNode(file, path, t.getKeyNode(), node).fail("a key that is not a name (expected: " + expected + ")");
      }
      YamlNode child = new YamlNode(file, child(k.getValue()), t.getValueNode(), node);
      if (out.put(k.getValue(), child) != null) {
        throw new YamlNode(file, child.path, t.getKeyNode(), node).fail("given twice (expected: each key once)");
      }
    }
    return out;
  }

  List<YamlNode> list(String expected) throws ConfigException {
    if (!(node instanceof SequenceNode s)) {
      throw expected(expected);
    }
    List<YamlNode> out = new ArrayList<>();
    for (int i = 0; i < s.getValue().size(); i++) {
      out.add(new YamlNode(file, path + "[" + i + "]", s.getValue().get(i), node));
    }
    return out;
  }

  boolean isList() {
    return node instanceof SequenceNode;
  }

  /** A scalar that is not null, as text (numbers too: a name may be "7"). */
  String text(String expected) throws ConfigException {
    if (!(node instanceof ScalarNode s) || s.getTag().equals(Tag.NULL) || s.getValue().isEmpty()) {
      throw expected(expected);
    }
    return s.getValue();
  }

  long integer(long min, long max) throws ConfigException {
    String range = max == Long.MAX_VALUE ? "an integer >= " + min : "an integer from " + min + " to " + max;
    if (!(node instanceof ScalarNode s) || !s.getTag().equals(Tag.INT)) {
      throw expected(range);
    }
    long v;
    try {
      v = Long.decode(s.getValue().replace("_", ""));
    } catch (NumberFormatException e) {
      throw expected(range);
    }
    if (v < min) {
      throw expected(">= " + min);
    }
    if (v > max) {
      throw expected("<= " + max);
    }
    return v;
  }

  /** {@code true} or {@code false}, as YAML booleans; YAML 1.1's yes/no/on/off are refused as unclear. */
  boolean bool() throws ConfigException {
    if (!(node instanceof ScalarNode s) || !s.getTag().equals(Tag.BOOL)
        || !(s.getValue().equals("true") || s.getValue().equals("false"))) {
      throw expected("true or false");
    }
    return s.getValue().equals("true");
  }

  /** A number, integer or not (0.2, 10), within [min, max]. */
  double decimal(double min, double max) throws ConfigException {
    String range = "a number from " + plain(min) + " to " + plain(max);
    if (!(node instanceof ScalarNode s) || !(s.getTag().equals(Tag.INT) || s.getTag().equals(Tag.FLOAT))) {
      throw expected(range);
    }
    double v;
    try {
      v = Double.parseDouble(s.getValue().replace("_", ""));
    } catch (NumberFormatException e) {
      throw expected(range);
    }
    if (!(v >= min && v <= max)) {
      throw expected(range);
    }
    return v;
  }

  private static String plain(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  int integer(int min, int max) throws ConfigException {
    return (int) integer((long) min, (long) max);
  }

  private String child(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** The fields of one mapping. */
  static final class Fields {
    private final YamlNode owner;
    private final Map<String, YamlNode> values;

    private Fields(YamlNode owner, Map<String, YamlNode> values) {
      this.owner = owner;
      this.values = values;
    }

    Optional<YamlNode> get(String key) {
      return Optional.ofNullable(values.get(key));
    }

    boolean has(String key) {
      return values.containsKey(key);
    }

    YamlNode require(String key, String expected) throws ConfigException {
      YamlNode v = values.get(key);
      if (v == null) {
        throw new YamlNode(owner.file, owner.child(key), null, owner.node).fail("missing (expected: " + expected + ")");
      }
      return v;
    }

    /** A node standing for an absent key, to report a problem with it. */
    YamlNode absent(String key) {
      return new YamlNode(owner.file, owner.child(key), null, owner.node);
    }
  }
}
