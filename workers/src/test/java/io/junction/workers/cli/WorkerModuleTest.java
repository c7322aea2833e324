package io.junction.workers.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Stage;
import com.google.inject.util.Modules;
import io.junction.workers.runtime.DeviceRequest;
import io.junction.workers.runtime.GpuProbe;
import io.junction.workers.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's injector: it builds without touching the repository, the GPUs or a port, and the
 * startup it builds uses what is bound. No engine is started here (every case fails before
 * loading a model); the real process is {@link WorkerProcessTest}'s.
 */
class WorkerModuleTest {
  @TempDir Path dir;

  @Test
  void buildsWithoutTouchingTheRepositoryWhichStartThenReads() throws Exception {
    Path missing = dir.resolve("missing");
    Injector injector = Guice.createInjector(Stage.PRODUCTION, new WorkerModule(options(missing, DeviceRequest.CPU, false)));

    WorkerStartup startup = injector.getInstance(WorkerStartup.class);
    assertThat(injector.getInstance(WorkerOptions.class).repository()).isEqualTo(missing);
    assertThat(Files.exists(missing)).isFalse();

    assertThatThrownBy(startup::start).isInstanceOfSatisfying(StartupException.class,
        e -> assertThat(e.permanent()).as("a restart cannot help").isTrue())
        .hasMessageContaining("repository: not a folder");
  }

  @Test
  void startupChoosesTheDeviceWithTheBoundGpuProbe() throws Exception {
    Path repo = Files.createDirectories(dir.resolve("repo"));
    // the contract and an (empty) SavedModel file: enough for the checks before the device is chosen
    Files.createFile(Files.createDirectories(repo.resolve("scale").resolve("1")).resolve("saved_model.pb"));
    Files.writeString(repo.resolve("scale").resolve("model.yaml"), TestModels.SCALE_YAML);
    GpuProbe none = new GpuProbe() {
      @Override
      public int visibleGpus() {
        return 0;
      }

      @Override
      public String absenceReason() {
        return "the test's probe sees none";
      }
    };
    WorkerStartup startup = Guice.createInjector(Stage.PRODUCTION,
            Modules.override(new WorkerModule(options(repo, DeviceRequest.parse("gpu:0"), false)))
                .with(b -> b.bind(GpuProbe.class).toInstance(none)))
        .getInstance(WorkerStartup.class);

    assertThatThrownBy(startup::start).isInstanceOfSatisfying(StartupException.class,
        e -> assertThat(e.permanent()).isTrue())
        .hasMessageContaining("device: gpu:0").hasMessageContaining("the test's probe sees none");
  }

  @Test
  void optionsNameTheFlagThatIsWrong() {
    assertThatThrownBy(() -> new WorkerOptions(dir, List.of(), "127.0.0.1", 70000, Optional.empty(), OptionalInt.empty(), DeviceRequest.CPU, false, Optional.empty(), 1, true, false))
        .hasMessage("port: 70000 (expected: 0..65535; 0 picks a free port)");
    assertThatThrownBy(() -> new WorkerOptions(dir, List.of(), "127.0.0.1", 0, Optional.empty(), OptionalInt.empty(), DeviceRequest.CPU, false, Optional.empty(), 0, true, false))
        .hasMessage("queue: 0 (expected: >= 1)");
    assertThatThrownBy(() -> new WorkerOptions(dir, List.of(), "127.0.0.1", 0, Optional.empty(), OptionalInt.empty(), DeviceRequest.CPU, false, Optional.of("3-1"), 1, true, false))
        .hasMessage("cpus: \"3-1\" (expected: a CPU list such as 0-3,8)");
    assertThatThrownBy(() -> new WorkerOptions(dir, List.of(), "127.0.0.1", 0, Optional.empty(), OptionalInt.of(-1), DeviceRequest.CPU, false, Optional.empty(), 1, true, false))
        .hasMessage("http-port: -1 (expected: 0..65535; 0 picks a free port; absent for no HTTP port)");
  }

  private static WorkerOptions options(Path repository, DeviceRequest device, boolean fallbackCpu) {
    return new WorkerOptions(repository, List.of(), "127.0.0.1", 0, Optional.empty(), OptionalInt.empty(), device, fallbackCpu, Optional.empty(), 4, true, false);
  }
}
