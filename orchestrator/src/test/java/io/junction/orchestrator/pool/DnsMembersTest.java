package io.junction.orchestrator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.junction.orchestrator.routing.OutlierPolicy;
import io.junction.orchestrator.routing.RetryBudgetPolicy;
import java.io.IOException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a dns pool's members follow what its name resolves to, on a fake clock with a fake
 * resolver: in-process fake workers stand at the addresses (their in-process names are the
 * address:port the pool dials).
 */
class DnsMembersTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private static final String A = "10.0.0.1";
  private static final String B = "10.0.0.2";
  private static final String C = "10.0.0.3";

  private final FakeScheduler scheduler = new FakeScheduler();
  private final PoolSpec spec = dnsSpec("workers", new DnsService("workers.test", 50051, INTERVAL));
  /** What the fake resolver answers next: addresses, or a failure. */
  private volatile List<String> answer = List.of(A);
  private volatile IOException failure;
  private final AtomicInteger lookups = new AtomicInteger();
  /** Every channel the pool opened, by target: a member that left must have closed its own. */
  private final Map<String, List<ManagedChannel>> opened = new ConcurrentHashMap<>();
  private final List<FakeWorker> workers = new ArrayList<>();
  private Pool pool;
  private DnsMembers members;

  static PoolSpec dnsSpec(String name, DnsService service) {
    return new PoolSpec(name, PoolSpec.Kind.DNS, List.of("a"), 1, Device.CPU, false, List.of(), List.of(),
        Optional.empty(), 2, Duration.ofHours(1), Duration.ofSeconds(10), List.of(), true, PoolSpec.Affinity.NONE,
        PoolSpec.DEFAULT_MAX_QUEUE, OutlierPolicy.DEFAULT, HealthPolicy.DEFAULT, Optional.empty(),
        RetryBudgetPolicy.DEFAULT, 2, Optional.of(service));
  }

  @BeforeEach
  void setUp() throws Exception {
    for (String address : List.of(A, B, C)) {
      workers.add(new FakeWorker(address + ":50051", 0, List.of("a")));
    }
    pool = new Pool(spec, List.of(), Pool.pickerFor(spec));
    WorkerChannels channels = target -> {
      ManagedChannel c = FakeWorker.channels(target);
      opened.computeIfAbsent(target, k -> new CopyOnWriteArrayList<>()).add(c);
      return List.of(c);
    };
    DnsResolver resolver = host -> {
      assertThat(host).isEqualTo("workers.test");
      lookups.incrementAndGet();
      if (failure != null) {
        throw failure;
      }
      return answer;
    };
    // As the pool set does for a pool without segment plans: it takes calls once READY.
    members = new DnsMembers(pool, scheduler, channels, resolver, Runnable::run, () -> 1_700_000_000_000L,
        (r, then) -> {
          r.holdUntilAdmitted();
          r.lifecycle.onReady(() -> {
            r.admit();
            then.run();
          });
        });
    members.start();
    settle(() -> routable().equals(List.of(A)));
    assertThat(members.firstRoutable()).isDone();
  }

  @AfterEach
  void tearDown() {
    members.stop();
    for (Replica r : pool.replicas()) {
      r.beginClose();
      r.finishClose(0);
    }
    workers.forEach(FakeWorker::close);
  }

  private FakeWorker worker(String address) {
    return workers.stream().filter(w -> w.address.startsWith(address + ":")).findFirst().orElseThrow();
  }

  /** Runs the scheduler's due tasks until {@code done}, for answers that come back on gRPC's threads. Bounded. */
  private void settle(BooleanSupplier done) throws InterruptedException {
    scheduler.runDue();
    for (int i = 0; i < 500 && !done.getAsBoolean(); i++) {
      Thread.sleep(10);
      scheduler.runDue();
    }
    assertThat(done.getAsBoolean()).isTrue();
  }

  /** The addresses of the members, whatever their state. */
  private List<String> addresses() {
    return pool.replicas().stream().map(r -> ((DnsReplica) r).address()).sorted().toList();
  }

  /** The addresses of the members that take calls. */
  private List<String> routable() {
    return pool.replicas().stream().filter(Replica::routable).map(r -> ((DnsReplica) r).address()).sorted().toList();
  }

  private DnsReplica member(String address) {
    return pool.replicas().stream().map(r -> (DnsReplica) r).filter(r -> r.address().equals(address)).findFirst()
        .orElseThrow();
  }

  /** Every channel ever opened to {@code address} is shut down. */
  private boolean closed(String address) {
    return opened.getOrDefault(address + ":50051", List.of()).stream().allMatch(ManagedChannel::isShutdown);
  }

  @Test
  void aNewAddressJoinsOnceReadyAndAVanishedOneIsDrainedThenDroppedWithItsChannelClosed() throws Exception {
    DnsReplica a = member(A);
    assertThat(a.endpoint).isEqualTo("10.0.0.1:50051");
    assertThat(a.id()).isEqualTo("workers-0");

    answer = List.of(B, A);
    worker(B).ready = false;
    scheduler.advance(INTERVAL);
    settle(() -> addresses().equals(List.of(A, B)) && member(B).state() == ReplicaState.UNHEALTHY);
    assertThat(routable()).as("not ready: it takes no call").containsExactly(A);

    worker(B).ready = true;
    scheduler.advance(Duration.ofHours(1)); // its next probe (health interval); the name is looked up meanwhile
    settle(() -> routable().equals(List.of(A, B)));
    DnsReplica b = member(B);
    assertThat(b.id()).isEqualTo("workers-1");

    // B leaves the answer with a call in flight: out of routing at once, kept until its call ends.
    CompletableFuture<Replica> call;
    do {
      call = pool.claim(null, null);
    } while (call.join() != b);
    answer = List.of(A);
    scheduler.advance(INTERVAL);
    assertThat(b.state()).isEqualTo(ReplicaState.DRAINING);
    assertThat(routable()).containsExactly(A);
    scheduler.advance(Replica.DRAIN_POLL.multipliedBy(3));
    assertThat(addresses()).as("its call is still out").containsExactly(A, B);
    assertThat(closed(B)).isFalse();

    pool.release(b);
    scheduler.advance(Replica.DRAIN_POLL);
    settle(() -> addresses().equals(List.of(A)));
    assertThat(b.state()).isEqualTo(ReplicaState.STOPPED);
    assertThat(b.client()).isNull();
    assertThat(closed(B)).as("a dropped member's channel is closed").isTrue();
    assertThat(worker(B).received).isEmpty();
    assertThat(closed(A)).isFalse();
    assertThat(members.status().addresses()).containsExactly(A);
    assertThat(members.status().okLookups()).isEqualTo(lookups.get());
  }

  @Test
  void aFailedLookupKeepsTheMembersAndIsCounted() throws Exception {
    answer = List.of(A, B);
    scheduler.advance(INTERVAL);
    settle(() -> routable().equals(List.of(A, B)));

    failure = new UnknownHostException("workers.test: Name or service not known");
    scheduler.advance(INTERVAL.multipliedBy(3));

    assertThat(routable()).containsExactly(A, B);
    assertThat(pool.replicas()).allMatch(r -> r.state() == ReplicaState.READY);
    PoolSnapshot.Discovery s = members.status();
    assertThat(s.lastLookup()).isEqualTo("failed");
    assertThat(s.lastError()).contains("Name or service not known");
    assertThat(s.failedLookups()).isEqualTo(3);
    assertThat(s.addresses()).as("the last answer with addresses").containsExactly(A, B);

    failure = null;
    answer = List.of(A);
    scheduler.advance(INTERVAL);
    settle(() -> addresses().equals(List.of(A)));
    assertThat(members.status().lastLookup()).isEqualTo("ok");
    assertThat(members.status().lastError()).isEmpty();
  }

  @Test
  void anAnswerWithoutAddressesKeepsTheMembersAndIsCounted() throws Exception {
    answer = List.of();
    scheduler.advance(INTERVAL.multipliedBy(2));

    assertThat(routable()).containsExactly(A);
    assertThat(members.status().lastLookup()).isEqualTo("empty");
    assertThat(members.status().emptyLookups()).isEqualTo(2);
    assertThat(closed(A)).isFalse();
  }

  @Test
  void theLastReadyMemberIsNeverDroppedByAFailedLookupNorBeforeAMemberOfTheAnswerTakesCalls() throws Exception {
    failure = new UnknownHostException("workers.test");
    scheduler.advance(INTERVAL.multipliedBy(5));
    assertThat(routable()).containsExactly(A);

    // The answer moves to B, which is not ready yet: A serves on until B takes calls.
    failure = null;
    answer = List.of(B);
    worker(B).ready = false;
    scheduler.advance(INTERVAL);
    settle(() -> member(B).state() == ReplicaState.UNHEALTHY);
    scheduler.advance(INTERVAL.multipliedBy(2));
    assertThat(routable()).containsExactly(A);
    assertThat(member(A).state()).isEqualTo(ReplicaState.READY);

    worker(B).ready = true;
    scheduler.advance(Duration.ofHours(1));
    settle(() -> addresses().equals(List.of(B)) && routable().equals(List.of(B)));
    assertThat(closed(A)).isTrue();
  }

  @Test
  void anAddressThatComesBackRejoinsAsAFreshMember() throws Exception {
    answer = List.of(A, B);
    scheduler.advance(INTERVAL);
    settle(() -> routable().equals(List.of(A, B)));
    DnsReplica first = member(B);

    answer = List.of(A);
    scheduler.advance(INTERVAL);
    settle(() -> addresses().equals(List.of(A)));
    assertThat(first.state()).isEqualTo(ReplicaState.STOPPED);

    answer = List.of(A, B);
    scheduler.advance(INTERVAL);
    settle(() -> routable().equals(List.of(A, B)));
    DnsReplica again = member(B);
    assertThat(again).isNotSameAs(first);
    assertThat(again.id()).as("the free index again").isEqualTo(first.id());
    assertThat(closed(B)).as("only the first member's channel is closed").isFalse();
    assertThat(opened.get(B + ":50051")).hasSize(2).first().matches(ManagedChannel::isShutdown);
  }

  @Test
  void aMemberThatLeavesBeforeItWasReadyStopsAtOnce() throws Exception {
    worker(C).ready = false;
    answer = List.of(A, C);
    scheduler.advance(INTERVAL);
    settle(() -> addresses().equals(List.of(A, C)));

    answer = List.of(A);
    scheduler.advance(INTERVAL);
    settle(() -> addresses().equals(List.of(A)));
    assertThat(closed(C)).isTrue();
  }

  @Test
  void aFailedConnectionBringsTheNextLookupForward() throws Exception {
    int before = lookups.get();
    answer = List.of(A, B);
    scheduler.advance(INTERVAL.dividedBy(2));
    member(A).probeSoon(); // what a call that found A unreachable does
    settle(() -> routable().equals(List.of(A, B)));
    assertThat(lookups.get()).isEqualTo(before + 1);

    // Not again at once: failures of many calls bring one lookup, not one each.
    member(A).probeSoon();
    member(B).probeSoon();
    scheduler.runDue();
    assertThat(lookups.get()).isEqualTo(before + 1);
  }

  @Test
  void aDnsSpecNeedsItsServiceAndOnlyADnsSpecHasOne() {
    PoolSpec s = PoolSetTest.staticPool("p", 4, List.of("a"), "w:1");
    assertThatThrownBy(() -> new PoolSpec(s.name(), PoolSpec.Kind.DNS, s.models(), 1, s.device(), false, s.cpus(),
        List.of(), s.repository(), 4, s.healthInterval(), s.startTimeout(), s.jvmOptions()))
        .hasMessage("pool p: service: none for a DNS pool (expected: a service for a dns pool, and only there)");
    assertThat(new DnsService("w", 80, INTERVAL).endpointOf("fd00::1")).isEqualTo("[fd00::1]:80");
  }
}
