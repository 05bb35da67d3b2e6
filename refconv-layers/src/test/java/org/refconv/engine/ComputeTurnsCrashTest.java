package org.refconv.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The crash {@link ComputeTurns} prevents: two threads making their first convolutions at once in fresh JVMs. With
 * turns, no run may crash. Without, the crash depends on the CPU (AVX-512 without AMX: about 1 run in 10), so that
 * count is printed, not asserted. About 2 minutes: run with {@code -Pslow}.
 */
@Tag("slow")
class ComputeTurnsCrashTest {

    private static final int RUNS = 30;

    @Test
    void ranksTakingTurnsNeverCrashTheJvm() throws Exception {
        System.out.printf("two ranks in one JVM, without turns: %d of %d runs crashed%n", crashes("free"), RUNS);
        assertEquals(0, crashes("turns"), "runs that crashed although the ranks took turns");
    }

    private static int crashes(String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = Files.createTempFile("two-ranks", ".log");
        int crashed = 0;
        for (int run = 0; run < RUNS; run++) {
            // A crash report goes next to the log, not into the module's folder.
            List<String> command = new ArrayList<>(List.of(
                    java,
                    "-Xmx1g",
                    "-XX:ErrorFile=" + log.resolveSibling("hs_err_two_ranks_%p.log"),
                    "-cp",
                    System.getProperty("java.class.path")));
            String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
            if (cache != null) {
                command.add(1, "-Dorg.bytedeco.javacpp.cachedir=" + cache);
            }
            command.addAll(List.of(TwoRanksInOneJvm.class.getName(), mode));
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("run " + run + " (" + mode + ") did not finish in 5 minutes");
            }
            if (p.exitValue() != 0) {
                crashed++;
                System.out.println(mode + " run " + run + " exited with " + p.exitValue() + ": "
                        + Files.readAllLines(log).stream()
                                .filter(l -> l.startsWith("# "))
                                .limit(6)
                                .toList());
            }
        }
        Files.deleteIfExists(log);
        return crashed;
    }
}
