package org.refconv.testing;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Comparisons and fixture lookup shared by the tests. */
public final class TestTensors {

    private TestTensors() {}

    /** max |a - b| / max |b|: the relative error measure used throughout (b is the reference). */
    public static double relativeError(Tensor actual, Tensor reference) {
        double scale = Math.max(Ops.maxAbs(reference), 1e-12);
        return Ops.maxAbsDiff(actual, reference) / scale;
    }

    public static void assertClose(Tensor actual, Tensor reference, double tolerance, String what) {
        double err = relativeError(actual, reference);
        assertTrue(err <= tolerance, what + ": relative error " + err + " > " + tolerance);
    }

    public static Path resource(String name) {
        URL url = TestTensors.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IllegalStateException("test resource " + name + " is missing: run fixtures/make_*_fixtures.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
