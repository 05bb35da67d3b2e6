package org.refconv.models;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.testing.TestTensors;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The zoo's torchvision fixtures (fixtures/make_zoo_fixtures.py). Key lists and the tiny models' weights are
 * committed; the large weights are generated into refconv-layers/target/zoo-fixtures by running the script when
 * /usr/bin/python3 has torch and torchvision (as on CI); without them the tests that need them are skipped.
 */
final class ZooFixtures {

    /** Debian's interpreter (the one with python3-torch); -Drefconv.python overrides it. */
    static final String PYTHON = System.getProperty("refconv.python", "/usr/bin/python3");

    private static Boolean generated;

    private ZooFixtures() {}

    static Path repoRoot() {
        String root = System.getProperty("refconv.repo.root");
        if (root != null && Files.isRegularFile(Path.of(root, "fixtures", "make_zoo_fixtures.py"))) {
            return Path.of(root);
        }
        // Run from the module directory without Maven's property.
        return Path.of("").toAbsolutePath().getParent();
    }

    static Path generatedDir() {
        return repoRoot().resolve("refconv-layers").resolve("target").resolve("zoo-fixtures");
    }

    /** torchvision's state_dict keys and shapes ("64,3,7,7"; "" for a scalar), in order. */
    static Map<String, String> keys(String model) throws IOException {
        Map<String, String> keys = new LinkedHashMap<>();
        for (String line : Files.readAllLines(
                TestTensors.resource("fixtures/zoo/" + model + ".keys.txt"), StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.indexOf(' ');
            keys.put(line.substring(0, space), line.substring(space + 1).trim());
        }
        return keys;
    }

    static StateDict weights(String model) throws IOException {
        return read(model + ".weights.safetensors");
    }

    /** input, output (eval mode) and, for models without dropout, train_output and train_state.* tensors. */
    static StateDict io(String model) throws IOException {
        return read(model + ".io.safetensors");
    }

    private static StateDict read(String file) throws IOException {
        Path committed = committed(file);
        Path path = committed != null ? committed : generatedDir().resolve(file);
        if (!Files.isRegularFile(path)) {
            generateOnce();
        }
        assumeTrue(
                Files.isRegularFile(path),
                file + " is absent and could not be generated: install python3-torch "
                        + "and python3-torchvision, or run " + PYTHON + " fixtures/make_zoo_fixtures.py");
        return SafeTensors.read(path.toString(), null);
    }

    private static Path committed(String file) {
        var url = ZooFixtures.class.getClassLoader().getResource("fixtures/zoo/" + file);
        return url == null ? null : TestTensors.resource("fixtures/zoo/" + file);
    }

    /** Runs the fixture script once per JVM for all models, if torch is importable. */
    private static synchronized void generateOnce() {
        if (generated != null) {
            return;
        }
        generated = false;
        if (!Files.isExecutable(Path.of(PYTHON)) || run(List.of(PYTHON, "-c", "import torch, torchvision"), 60) != 0) {
            return;
        }
        Path out = generatedDir();
        List<String> cmd = new ArrayList<>(List.of(
                PYTHON,
                repoRoot().resolve("fixtures/make_zoo_fixtures.py").toString(),
                "--out",
                out.toString(),
                "--committed",
                out.resolve("committed").toString()));
        generated = run(cmd, 600) == 0;
    }

    private static int run(List<String> cmd, long timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
