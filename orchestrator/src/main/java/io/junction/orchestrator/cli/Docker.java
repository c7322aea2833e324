package io.junction.orchestrator.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The {@code docker} client, run as a process: the engine is whichever {@code DOCKER_HOST} (else
 * the client's default) names, as for a user typing the same commands.
 */
final class Docker {
  static final String NO_ENGINE = "start one with: bin/docker-engine start, then export \"$(bin/docker-engine env)\"";

  private Docker() {}

  /** The engine's version, or why none answers. */
  static String requireEngine() {
    String where = System.getenv("DOCKER_HOST") == null ? "" : " at " + System.getenv("DOCKER_HOST");
    Result r;
    try {
      r = run(List.of("version", "--format", "{{.Server.Version}}"), line -> {});
    } catch (UncheckedIOException e) {
      throw new IllegalStateException("the docker client does not run (" + e.getCause().getMessage()
          + "); install Debian's docker.io (bin/install-prerequisites does)", e);
    }
    if (r.exitCode() != 0 || r.lastLine().isBlank()) {
      throw new IllegalStateException("no Docker engine answers" + where + " (" + NO_ENGINE + ")");
    }
    return r.lastLine().strip();
  }

  /** {@code docker image inspect --format FORMAT image}, or empty when the engine has no such image. */
  static Optional<String> inspectImage(String image, String format) {
    Result r = run(List.of("image", "inspect", "--format", format, image), line -> {});
    return r.exitCode() == 0 ? Optional.of(r.lastLine().strip()) : Optional.empty();
  }

  record Result(int exitCode, String lastLine) {}

  /** Runs {@code docker ARGS}, giving each line it prints (stdout and stderr) to {@code lines} as it comes. */
  static Result run(List<String> args, Consumer<String> lines) {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(args);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String last = "";
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          lines.accept(line);
          last = line;
        }
      }
      return new Result(p.waitFor(), last);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running docker " + String.join(" ", args), e);
    }
  }
}
