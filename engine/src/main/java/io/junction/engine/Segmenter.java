package io.junction.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cuts a pipeline's steps into fused segments: the largest connected groups of steps whose
 * models all live in one group (pool) of workers that can run segments, with the switches,
 * merges and loops between them. A segment is one worker call, so it must behave exactly as its
 * steps would one by one at the orchestrator; the cut keeps three rules for that:
 *
 * <ul>
 *   <li><b>Convex</b>: no path leaves a segment and comes back into it, so segments and the
 *       steps left outside form a DAG again.
 *   <li><b>Switches stay whole</b>: a switch and every step its branches name are in one segment,
 *       or none of them is fused (skipping cannot cross a worker call).
 *   <li><b>Nothing skippable crosses the boundary</b>: a segment reads no value that a switch
 *       outside it may skip, and nothing outside reads a value a switch inside it may skip.
 * </ul>
 *
 * Steps are taken in topological order and join the segment of their producers when the rules
 * allow; a step that would join two segments of its group merges them. A rule broken after the
 * pass excludes the steps involved and the pass runs again, until nothing is broken. Segments of
 * a single step are dropped (one call either way).
 */
final class Segmenter {

  /**
   * One step as the cutter sees it.
   *
   * @param branches for a switch: the steps of each branch, the default's last
   * @param exhaustive for a switch: it has a default branch, so some branch always runs
   */
  record StepNode(String name, Kind kind, String group, Set<String> dataDeps, String controller, Set<String> controls,
      List<Set<String>> branches, boolean exhaustive) {}

  enum Kind { MODEL, SWITCH, CONCAT, FIRST_OF }

  /** A segment: its group and its steps in topological order. */
  record Cut(String group, List<String> steps) {}

  private final List<String> topo;
  private final Map<String, StepNode> nodes;
  /** Steps whose outputs pipeline outputs read. */
  private final Set<String> readByPipeline;
  private final Map<String, Set<String>> consumers = new HashMap<>();
  private final Map<String, Set<String>> descendants = new HashMap<>();
  private final Set<String> skippable = new HashSet<>();

  private Segmenter(List<String> topo, Map<String, StepNode> nodes, Set<String> readByPipeline) {
    this.topo = topo;
    this.nodes = nodes;
    this.readByPipeline = readByPipeline;
    for (String s : topo) {
      for (String d : deps(nodes.get(s))) {
        consumers.computeIfAbsent(d, k -> new LinkedHashSet<>()).add(s);
      }
    }
    for (int i = topo.size() - 1; i >= 0; i--) {
      String s = topo.get(i);
      Set<String> below = new HashSet<>();
      for (String c : consumers.getOrDefault(s, Set.of())) {
        below.add(c);
        below.addAll(descendants.get(c));
      }
      descendants.put(s, below);
    }
    for (String s : topo) {
      StepNode n = nodes.get(s);
      boolean skip = n.controller() != null;
      if (!skip && !n.dataDeps().isEmpty()) {
        skip = n.kind() == Kind.FIRST_OF
            ? n.dataDeps().stream().allMatch(skippable::contains) && !coversASwitch(n)
            : n.dataDeps().stream().anyMatch(skippable::contains);
      }
      if (skip) {
        skippable.add(s);
      }
    }
  }

  /**
   * True when a first_of merge reads a step of every branch of a switch that always runs some
   * branch (it has a default and is not skipped itself): then one of its inputs always exists.
   */
  private boolean coversASwitch(StepNode merge) {
    for (String d : merge.dataDeps()) {
      StepNode dep = nodes.get(d);
      StepNode sw = dep.controller() == null ? null : nodes.get(dep.controller());
      if (sw == null || !sw.exhaustive() || skippable.contains(sw.name())) {
        continue;
      }
      boolean all = true;
      for (Set<String> branch : sw.branches()) {
        all &= branch.stream().anyMatch(b -> merge.dataDeps().contains(b) && ranByBranchAlone(nodes.get(b), sw));
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

  /** A branch step whose only way of being skipped is its switch not choosing it. */
  private boolean ranByBranchAlone(StepNode step, StepNode sw) {
    return sw.name().equals(step.controller()) && step.dataDeps().stream().noneMatch(skippable::contains);
  }

  /**
   * @param topo           step names in topological order
   * @param nodes          every step by name; {@code group} is null for a model step whose group
   *                       cannot run segments, and for switches and merges
   * @param readByPipeline steps that pipeline outputs read
   */
  static List<Cut> cut(List<String> topo, Map<String, StepNode> nodes, Set<String> readByPipeline) {
    return new Segmenter(topo, nodes, readByPipeline).run();
  }

  private static Set<String> deps(StepNode n) {
    Set<String> all = new LinkedHashSet<>(n.dataDeps());
    if (n.controller() != null) {
      all.add(n.controller());
    }
    return all;
  }

  private List<Cut> run() {
    Set<String> excluded = new HashSet<>();
    for (int round = 0; round <= topo.size(); round++) {
      Map<String, Integer> assigned = new HashMap<>();
      List<Segment> segments = assign(excluded, assigned);
      Set<String> broken = broken(segments, assigned);
      if (broken.isEmpty()) {
        List<Cut> cuts = new ArrayList<>();
        for (Segment s : segments) {
          if (s.alive && s.members.size() >= 2 && s.group != null) {
            cuts.add(new Cut(s.group, topo.stream().filter(s.members::contains).toList()));
          }
        }
        return cuts;
      }
      excluded.addAll(broken);
    }
    return List.of(); // cannot happen: each round excludes at least one more step
  }

  private static final class Segment {
    String group;
    final Set<String> members = new LinkedHashSet<>();
    boolean alive = true;
  }

  private List<Segment> assign(Set<String> excluded, Map<String, Integer> assigned) {
    List<Segment> segments = new ArrayList<>();
    for (String s : topo) {
      StepNode n = nodes.get(s);
      if (excluded.contains(s) || (n.kind() == Kind.MODEL && n.group() == null)) {
        continue;
      }
      String group = n.kind() == Kind.MODEL ? n.group() : null;
      // The segments of its producers that it may join: same group (or none decided yet).
      Set<Integer> candidates = new LinkedHashSet<>();
      for (String d : deps(n)) {
        Integer seg = assigned.get(d);
        if (seg != null && (group == null || segments.get(seg).group == null || group.equals(segments.get(seg).group))) {
          candidates.add(seg);
        }
      }
      // Model steps that read only pipeline inputs join the first segment of their group.
      if (candidates.isEmpty() && group != null) {
        for (int i = 0; i < segments.size(); i++) {
          if (segments.get(i).alive && group.equals(segments.get(i).group)) {
            candidates.add(i);
            break;
          }
        }
      }
      Segment into = null;
      for (int c : candidates) {
        Segment seg = segments.get(c);
        String g = seg.group != null ? seg.group : group;
        if (into != null && into.group != null && g != null && !into.group.equals(g)) {
          continue;
        }
        Set<String> trial = new HashSet<>(seg.members);
        trial.add(s);
        if (into != null) {
          trial.addAll(into.members);
        }
        if (!convex(trial)) {
          continue;
        }
        if (into == null) {
          into = seg;
        } else {
          // The step joins two segments: they become one.
          for (String m : seg.members) {
            assigned.put(m, segments.indexOf(into));
          }
          into.members.addAll(seg.members);
          into.group = into.group != null ? into.group : seg.group;
          seg.members.clear();
          seg.alive = false;
        }
      }
      if (into == null) {
        into = new Segment();
        segments.add(into);
      }
      into.members.add(s);
      if (into.group == null) {
        into.group = group;
      }
      assigned.put(s, segments.indexOf(into));
    }
    return segments;
  }

  /** True when no step outside {@code set} is both below and above some steps of it. */
  private boolean convex(Set<String> set) {
    Set<String> below = new HashSet<>();
    for (String m : set) {
      below.addAll(descendants.get(m));
    }
    below.removeAll(set);
    for (String o : below) {
      for (String m : set) {
        if (descendants.get(o).contains(m)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Steps that break a rule in this assignment (to exclude in the next round). */
  private Set<String> broken(List<Segment> segments, Map<String, Integer> assigned) {
    Set<String> broken = new LinkedHashSet<>();
    Map<String, Integer> fused = new LinkedHashMap<>();
    for (Map.Entry<String, Integer> e : assigned.entrySet()) {
      Segment seg = segments.get(e.getValue());
      if (seg.alive && seg.members.size() >= 2 && seg.group != null) {
        fused.put(e.getKey(), e.getValue());
      }
    }
    for (Map.Entry<String, Integer> e : fused.entrySet()) {
      String s = e.getKey();
      int seg = e.getValue();
      StepNode n = nodes.get(s);
      // Switches stay whole.
      if (n.kind() == Kind.SWITCH) {
        for (String c : n.controls()) {
          if (!Integer.valueOf(seg).equals(fused.get(c))) {
            broken.add(s);
            broken.addAll(n.controls());
          }
        }
      }
      if (n.controller() != null && !Integer.valueOf(seg).equals(fused.get(n.controller()))) {
        broken.add(s);
      }
      // Nothing skippable comes in.
      for (String d : n.dataDeps()) {
        if (!Integer.valueOf(seg).equals(fused.get(d)) && skippable.contains(d)) {
          broken.add(s);
        }
      }
      // Nothing skippable goes out.
      if (skippable.contains(s)) {
        boolean readOutside = readByPipeline.contains(s);
        for (String c : consumers.getOrDefault(s, Set.of())) {
          readOutside |= nodes.get(c).dataDeps().contains(s) && !Integer.valueOf(seg).equals(fused.get(c));
        }
        if (readOutside) {
          broken.add(s);
        }
      }
    }
    return broken;
  }
}
