package org.refconv.publish;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Tensors;
import org.refconv.models.Classifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the README's PyTorch snippet (between its {@code pytorch-snippet} markers) for real with Debian's PyTorch,
 * on a model the calling test published: it must load the model strictly with PyTorch's own definition and give the
 * logits of the Java model. The snippet names the demo's registry, {@value #DEMO_ROOT}; the test's registry stands in
 * for it.
 */
final class ReadmeSnippet {

    /** Debian's interpreter (the one with python3-torch); -Drefconv.python overrides it. */
    static final String PYTHON = System.getProperty("refconv.python", "/usr/bin/python3");

    /** The demo's publish root, as the README's snippet spells it. */
    static final String DEMO_ROOT = "target/demo/models";

    private static final Pattern SNIPPET = Pattern.compile(
            "<!-- pytorch-snippet:start -->\\s*```python\\n(.*?)```\\s*<!-- pytorch-snippet:end -->", Pattern.DOTALL);

    private ReadmeSnippet() {}

    static Path repoRoot() {
        String root = System.getProperty("refconv.repo.root");
        if (root != null && Files.isRegularFile(Path.of(root, "README.md"))) {
            return Path.of(root);
        }
        return Path.of("").toAbsolutePath().getParent();
    }

    /** The snippet as the README shows it. */
    static String snippet() throws IOException {
        String readme = Files.readString(repoRoot().resolve("README.md"), StandardCharsets.UTF_8);
        Matcher m = SNIPPET.matcher(readme);
        assertTrue(m.find(), "README.md has no ```python block between the pytorch-snippet markers");
        return m.group(1);
    }

    /**
     * @param publishRoot the registry root the test published to (a file: URI), holding {@code <model>/LATEST}
     * @param javaModel the Java plain model with the published weights, in eval mode
     */
    static void assertLoadsAndMatches(String publishRoot, Classifier javaModel) throws Exception {
        assertLoadsAndMatches(publishRoot, "cifar_quick", javaModel);
    }

    /** As above, for a registry of {@code model} (the snippet names the demo's cifar_quick). */
    static void assertLoadsAndMatches(String publishRoot, String model, Classifier javaModel) throws Exception {
        assumeTrue(
                run(List.of(PYTHON, "-c", "import torch, torchvision"), repoRoot(), 60).exitCode == 0,
                "README snippet not run: " + PYTHON + " cannot import torch and torchvision "
                        + "(apt-get install python3-torch python3-torchvision, or deploy/bin/setup tests)");
        String code = snippet();
        assertTrue(code.contains(DEMO_ROOT + "/cifar_quick"), "the snippet loads the demo's model from " + DEMO_ROOT);
        assertFalse(code.contains("strict=False"), "the snippet loads strictly");
        Path work = Files.createDirectories(Path.of("target", "readme-snippet").toAbsolutePath());

        // The same input for both: 3 images of the model's size, values from a fixed seed.
        Random random = new Random(23);
        float[] values = new float[3 * 3 * 32 * 32];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        Tensor x = Tensors.fromFloats(values, 3, 3, 32, 32);
        Path input = work.resolve("input.safetensors");
        SafeTensors.write(new StateDict().put("x", Tensors.toHost(x)), input.toString(), null);
        float[] expected;
        try (NoGrad ignored = NoGrad.enter()) {
            expected = Tensors.toFloats(javaModel.forward(x));
        }

        // The snippet as written, then the test's lines, which use the `model` and `load_file` it defines.
        String root = Path.of(URI.create(publishRoot)).toString();
        Path script = work.resolve("snippet.py");
        Files.writeString(
                script,
                code.replace(DEMO_ROOT + "/cifar_quick", root + "/" + model)
                        + "\nimport json as _json\n"
                        + "with torch.no_grad():\n"
                        + "    _logits = model(load_file(sys.argv[1])[\"x\"])\n"
                        + "print(\"LOGITS \" + _json.dumps(_logits.flatten().tolist()))\n",
                StandardCharsets.UTF_8);
        Result r = run(List.of(PYTHON, script.toString(), input.toString()), repoRoot(), 300);
        if (r.exitCode != 0) {
            fail("the README snippet failed (exit " + r.exitCode + "):\n" + r.output);
        }
        String line = r.output
                .lines()
                .filter(l -> l.startsWith("LOGITS "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no logits printed:\n" + r.output));
        JsonNode logits = new ObjectMapper().readTree(line.substring("LOGITS ".length()));
        assertEquals(expected.length, logits.size(), "logits of 3 images");
        double scale = 1;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(expected[i] - logits.get(i).asDouble()));
        }
        assertTrue(worst <= 1e-4 * scale, "PyTorch vs Java logits differ by " + worst + ":\n" + r.output);
    }

    private record Result(int exitCode, String output) {}

    private static Result run(List<String> cmd, Path dir, long timeoutSeconds) throws IOException {
        Path log = Files.createTempFile("readme-snippet", ".log");
        try {
            Process p = new ProcessBuilder(cmd)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
