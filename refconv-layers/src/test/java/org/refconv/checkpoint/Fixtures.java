package org.refconv.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/** The files written by fixtures/make_checkpoint_fixtures.py (test resources under fixtures/checkpoint). */
final class Fixtures {
    /** Would be created if anything executed the malicious fixtures' payload (see the fixture script). */
    static final Path PWNED_MARKER = Path.of("/tmp/refconv_checkpoint_fixture_pwned");

    private Fixtures() {}

    static Path path(String name) {
        URL url = Fixtures.class.getResource("/fixtures/checkpoint/" + name);
        if (url == null) {
            throw new IllegalStateException("missing fixture " + name + ": run fixtures/make_checkpoint_fixtures.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
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
