package io.junction.bench;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.junction.proto.v1.ConversationServiceGrpc;
import io.junction.proto.v1.ConverseEvent;
import io.junction.proto.v1.ConverseRequest;
import io.junction.proto.v1.ConverseResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Many conversations held open at once against Junction's demo, and what they cost the
 * orchestrator in resident memory: {@code --chats} Chat streams each make one turn and stay
 * open, idle; {@code --streams} ConverseStream calls run meanwhile; each Chat stream makes a
 * second turn; then all close. The orchestrator's RSS ({@code /proc/PID/status}) is read before,
 * with the streams open, after the second turns and after they closed. Every reply is checked
 * against the chat reference (tokens of each text), so a stream that got another's tokens is an
 * error. Bounded: each stage waits at most {@code --stage-seconds}.
 */
@Command(name = "streams-probe", mixinStandardHelpOptions = true)
public final class StreamsProbe implements Callable<Integer> {
  @Option(names = "--address", defaultValue = "127.0.0.1:8500", description = "host:port of Junction")
  String address;

  @Option(names = "--pid", required = true, description = "the orchestrator's process id, for its RSS")
  long pid;

  @Option(names = "--reference", required = true, description = "the chat reference: {\"cases\": [{text, tokens}]}")
  Path reference;

  @Option(names = "--chats", defaultValue = "1000", description = "Chat streams held open")
  int chats;

  @Option(names = "--streams", defaultValue = "200", description = "ConverseStream calls while they are open")
  int streams;

  @Option(names = "--stage-seconds", defaultValue = "240", description = "most time a stage may take")
  long stageSeconds;

  @Option(names = "--label", defaultValue = "junction.streams")
  String label;

  @Option(names = "--json", description = "write the figures here")
  Path json;

  public static void main(String[] args) {
    System.exit(new CommandLine(new StreamsProbe()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    List<String> texts = new ArrayList<>();
    List<List<String>> tokens = new ArrayList<>();
    for (JsonElement c : new Gson().fromJson(Files.readString(reference), JsonObject.class).getAsJsonArray("cases")) {
      texts.add(c.getAsJsonObject().get("text").getAsString());
      List<String> t = new ArrayList<>();
      for (JsonElement e : c.getAsJsonObject().getAsJsonArray("tokens")) {
        t.add(e.getAsString());
      }
      tokens.add(t);
    }
    String[] hp = address.split(":");
    ManagedChannel channel = NettyChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext()
        .directExecutor().build();
    Map<String, Object> figures = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    try {
      ConversationServiceGrpc.ConversationServiceStub stub = ConversationServiceGrpc.newStub(channel);
      long rssBefore = rssKb();
      long t0 = System.nanoTime();
      List<Chat> open = new ArrayList<>(chats);
      List<CompletableFuture<ConverseResponse>> first = new ArrayList<>(chats);
      for (int i = 0; i < chats; i++) {
        Chat c = new Chat();
        c.requests = stub.withDeadlineAfter(stageSeconds * 4, TimeUnit.SECONDS).chat(c);
        open.add(c);
        first.add(c.send(ConverseRequest.newBuilder().setText(texts.get(i % texts.size())).build()));
      }
      check("chat turn 1", first, i -> tokens.get(i % tokens.size()), errors);
      long rssOpen = rssKb();
      progress("%d Chat streams open after one turn each (%.1f s): orchestrator RSS %d MiB (%d MiB before)", chats,
          (System.nanoTime() - t0) / 1e9, rssOpen / 1024, rssBefore / 1024);

      List<CompletableFuture<ConverseResponse>> converse = new ArrayList<>(streams);
      for (int i = 0; i < streams; i++) {
        converse.add(converseStream(stub, texts.get(i % texts.size())));
      }
      check("ConverseStream", converse, i -> tokens.get(i % tokens.size()), errors);
      List<CompletableFuture<ConverseResponse>> second = new ArrayList<>(chats);
      for (int i = 0; i < chats; i++) {
        second.add(open.get(i).send(ConverseRequest.newBuilder().setText(texts.get((i + 1) % texts.size())).build()));
      }
      check("chat turn 2", second, i -> tokens.get((i + 1) % tokens.size()), errors);
      long rssAfter = rssKb();
      progress("%d ConverseStream calls, then a second turn on each Chat stream: orchestrator RSS %d MiB", streams,
          rssAfter / 1024);

      open.forEach(c -> c.requests.onCompleted());
      CompletableFuture.allOf(open.stream().map(c -> c.ended).toArray(CompletableFuture[]::new))
          .get(stageSeconds, TimeUnit.SECONDS);
      Thread.sleep(2000); // let the server drop what the closed streams held
      long rssClosed = rssKb();
      progress("all streams closed: orchestrator RSS %d MiB; %d errors", rssClosed / 1024, errors.size());

      figures.put("label", label);
      figures.put("chats", chats);
      figures.put("streams", streams);
      figures.put("rss_kb_before", rssBefore);
      figures.put("rss_kb_open", rssOpen);
      figures.put("rss_kb_after", rssAfter);
      figures.put("rss_kb_closed", rssClosed);
      figures.put("errors", errors.size());
      figures.put("first_errors", errors.subList(0, Math.min(5, errors.size())));
      figures.put("seconds", (System.nanoTime() - t0) / 1e9);
      if (json != null) {
        Files.writeString(json, new Gson().toJson(figures) + "\n");
      }
      errors.stream().limit(5).forEach(e -> System.out.println("  error: " + e));
      return errors.isEmpty() ? 0 : 1;
    } finally {
      channel.shutdownNow();
    }
  }

  private interface Want {
    List<String> tokens(int index);
  }

  /** Waits for every answer of a stage and checks each against the reference; failures go to {@code errors}. */
  private void check(String stage, List<CompletableFuture<ConverseResponse>> answers, Want want, List<String> errors)
      throws InterruptedException {
    try {
      CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(stageSeconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // counted per answer below
    }
    for (int i = 0; i < answers.size(); i++) {
      CompletableFuture<ConverseResponse> f = answers.get(i);
      if (!f.isDone()) {
        errors.add(stage + " " + i + ": no answer in " + stageSeconds + " s");
      } else if (f.isCompletedExceptionally()) {
        errors.add(stage + " " + i + ": " + f.handle((v, t) -> String.valueOf(t)).join());
      } else if (!f.join().getTokensList().equals(want.tokens(i))) {
        errors.add(stage + " " + i + ": tokens " + f.join().getTokensList() + " (expected: " + want.tokens(i) + ")");
      }
    }
  }

  private static CompletableFuture<ConverseResponse> converseStream(ConversationServiceGrpc.ConversationServiceStub stub,
      String text) {
    CompletableFuture<ConverseResponse> done = new CompletableFuture<>();
    List<String> streamed = new ArrayList<>();
    stub.withDeadlineAfter(120, TimeUnit.SECONDS).converseStream(ConverseRequest.newBuilder().setText(text).build(),
        new StreamObserver<>() {
          @Override
          public synchronized void onNext(ConverseEvent e) {
            if (e.hasToken()) {
              streamed.add(e.getToken());
            } else if (e.hasDone()) {
              ConverseResponse r = e.getDone();
              // The tokens as they streamed must be the reply's own.
              done.complete(streamed.equals(r.getTokensList()) ? r
                  : r.toBuilder().clearTokens().addAllTokens(streamed).build());
            }
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.completeExceptionally(new IllegalStateException("stream ended without a done event"));
          }
        });
    return done;
  }

  /** One Chat stream: each turn's done event completes that turn, in order. */
  private static final class Chat implements StreamObserver<ConverseEvent> {
    final List<CompletableFuture<ConverseResponse>> turns = new ArrayList<>();
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    StreamObserver<ConverseRequest> requests;
    private int answered;

    @Override
    public synchronized void onNext(ConverseEvent e) {
      if (e.hasDone()) {
        turns.get(answered++).complete(e.getDone());
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
      ended.completeExceptionally(t);
      turns.forEach(f -> f.completeExceptionally(t));
    }

    @Override
    public void onCompleted() {
      ended.complete(null);
    }

    synchronized CompletableFuture<ConverseResponse> send(ConverseRequest request) {
      CompletableFuture<ConverseResponse> f = new CompletableFuture<>();
      turns.add(f);
      requests.onNext(request);
      return f;
    }
  }

  private long rssKb() throws IOException {
    return ProcessMemory.rssKb(pid);
  }

  private static void progress(String format, Object... args) {
    System.out.printf("streams: " + format + "%n", args);
  }
}
