package io.junction.orchestrator.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/**
 * The {@code junction} command: {@code serve} runs the orchestrator; {@code chat},
 * {@code recommend} and {@code status} are clients of a running one; {@code models build}
 * builds the demo model repository; {@code images build} the container image. Exit codes: 0 done, 1 failed (the error on stderr as
 * {@code error: CODE: message}), 2 wrong usage.
 */
@Command(name = "junction",
    mixinStandardHelpOptions = true,
    // every subcommand takes --help and --version too
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = JunctionCli.Version.class,
    description = "Junction: a gRPC multi-model orchestration service.",
    subcommands = {ServeCommand.class, ChatCommand.class, RecommendCommand.class, StatusCommand.class, DrainCommand.class,
        ModelsCommand.class, ImagesCommand.class,
        CommandLine.HelpCommand.class})
public final class JunctionCli {
  public static final int FAILED = 1;
  public static final int USAGE = CommandLine.ExitCode.USAGE;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with Junction's error handling, for main and for tests (which set out and err). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new JunctionCli());
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      err.println(errorLine(e));
      err.flush();
      return FAILED;
    });
    return cl;
  }

  /** {@code error: CODE: description} for a gRPC failure, {@code error: message} otherwise. */
  static String errorLine(Throwable e) {
    if (e instanceof StatusRuntimeException s) {
      Status status = s.getStatus();
      String description = status.getDescription() == null ? "" : status.getDescription();
      if (status.getCode() == Status.Code.UNAVAILABLE && status.getCause() != null) {
        // connection refused and the like: the usual cause is that nothing serves there
        description = (description.isEmpty() ? "" : description + ": ") + status.getCause().getMessage()
            + " (is `junction serve` running there? see --target)";
      }
      return "error: " + status.getCode() + (description.isEmpty() ? "" : ": " + description);
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return "error: " + message;
  }

  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = JunctionCli.class.getPackage().getImplementationVersion();
      return new String[] {"junction " + (v == null ? "(development build)" : v)};
    }
  }
}
