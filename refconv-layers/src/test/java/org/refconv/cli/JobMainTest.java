package org.refconv.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refconv.config.ConfigException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The frame of every job main: settings refused, known failures as their exit code and one line, the rest rethrown. */
class JobMainTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream realErr;

    @BeforeEach
    void captureStderr() {
        realErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(realErr);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static final class Stale extends JobFailure {
        Stale(String message) {
            super(ExitCode.OUTPUT_EXISTS, "output taken: ", message);
        }
    }

    /** Work (or settings parsing) that fails with {@code e}. */
    private static <T> T fail(Exception e) throws Exception {
        throw e;
    }

    @Test
    void settingsThatParseAreReturnedAndRefusedOnesPrintOneLine() throws Exception {
        assertEquals(Optional.of(7), JobMain.parse("train", () -> 7));
        assertEquals("", stderr());
        ConfigException refused = new ConfigException("--batch: 10 is not divisible by ranks = 4");
        assertEquals(Optional.empty(), JobMain.parse("train", () -> fail(refused)));
        assertEquals(Optional.empty(), JobMain.parse("publish", () -> Integer.parseInt("ten")));
        assertEquals(
                "train: --batch: 10 is not divisible by ranks = 4\npublish: For input string: \"ten\"\n",
                stderr().replace(System.lineSeparator(), "\n"));
        IOException io = new IOException("disk gone");
        assertSame(io, assertThrows(IOException.class, () -> JobMain.parse("train", () -> fail(io))));
    }

    @Test
    void knownFailuresBecomeTheirExitCodeAndOthersAreRethrown() throws Exception {
        assertEquals(ExitCode.NOT_PROMOTED, JobMain.run("publish", () -> ExitCode.NOT_PROMOTED));
        ConfigException notARun = new ConfigException("run: not a train run");
        assertEquals(ExitCode.BAD_CONFIG, JobMain.run("publish", () -> fail(notARun)));
        assertEquals(ExitCode.OUTPUT_EXISTS, JobMain.run("prepare", () -> fail(new Stale("/out holds a dataset"))));
        assertEquals(
                "publish: run: not a train run\nprepare: output taken: /out holds a dataset\n",
                stderr().replace(System.lineSeparator(), "\n"));
        IllegalStateException lost = new IllegalStateException("executor lost");
        assertSame(lost, assertThrows(IllegalStateException.class, () -> JobMain.run("pipeline", () -> fail(lost))));
    }
}
