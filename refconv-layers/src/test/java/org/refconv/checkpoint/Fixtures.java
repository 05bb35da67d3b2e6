package org.refconv.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.refconv.testing.TestTensors;

/** The files written by fixtures/make_checkpoint_fixtures.py (test resources under fixtures/checkpoint). */
final class Fixtures {
    /** Would be created if anything executed the malicious fixtures' payload (see the fixture script). */
    static final Path PWNED_MARKER = Path.of("/tmp/refconv_checkpoint_fixture_pwned");

    private Fixtures() {}

    static Path path(String name) {
        return TestTensors.resource("fixtures/checkpoint/" + name);
    }

    static String uri(String name) {
        return path(name).toUri().toString();
    }

    static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
