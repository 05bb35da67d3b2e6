package org.refconv.train;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.config.ConfigException;
import org.refconv.engine.Modules;
import org.refconv.layers.ConvFactory;
import org.refconv.models.ModelZoo;
import org.refconv.publish.ModelCard;
import org.refconv.publish.ModelRegistry;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A published model used as {@code checkpointIn} is checked against the SHA-256 in the model card beside it, on the
 * driver before Spark: a file changed after publishing (here one weight byte, which still loads) is refused.
 */
class PublishedBasisPreflightTest {

    private static final Configuration CONF = new Configuration();

    @TempDir
    static Path dir;

    private static Path data;
    private static byte[] model;

    @BeforeAll
    static void files() throws Exception {
        data = dir.resolve("data");
        Files.createDirectories(data.resolve("train"));
        Files.createDirectories(data.resolve("val"));
        Path written = dir.resolve("written.safetensors");
        SafeTensors.write(
                Modules.toStateDict(ModelZoo.create("cifar_quick", ConvFactory.plain(), 3, 10, 32)),
                written.toString(),
                CONF);
        model = Files.readAllBytes(written);
    }

    /** A version folder as the publisher leaves it: the model and a card recording {@code sha256} for it. */
    private static Path published(String name, String sha256) throws Exception {
        Path version = Files.createDirectories(dir.resolve(name));
        Path file = version.resolve(ModelRegistry.MODEL);
        Files.write(file, model);
        String card = "{\"format\": \"" + ModelCard.FORMAT + "\", \"version\": \"" + name + "\""
                + (sha256 == null
                        ? ""
                        : ", \"model\": {\"file\": \"model.safetensors\", \"sha256\": \"" + sha256 + "\"}")
                + "}";
        Files.writeString(version.resolve(ModelRegistry.CARD), card, StandardCharsets.UTF_8);
        return file;
    }

    /** The digest as coreutils computes it: a reference independent of the project's own hashing. */
    private static String sha256sum(Path file) throws Exception {
        Process p = new ProcessBuilder("sha256sum", file.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor() == 0, out);
        return out.substring(0, 64);
    }

    private static TrainConfig config(Path checkpoint) {
        return TrainArgs.shipped(
                        "cifar_quick", data.toString(), dir.resolve("out").toString())
                .with("checkpointIn", checkpoint)
                .config();
    }

    @Test
    void theFileItsCardVouchesForPasses() throws Exception {
        Path file = published("v1", null);
        String sha = sha256sum(file);
        file = published("v1", sha.toUpperCase(java.util.Locale.ROOT)); // hex case does not matter
        ModelBuilder.checkCheckpointIn(config(file), CONF); // the data preflight after it needs a prepared split
    }

    @Test
    void aFileChangedAfterPublishingIsRefusedBeforeSpark() throws Exception {
        Path file = published("v2", null);
        String sha = sha256sum(file);
        published("v2", sha);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(f.length() - 3); // a weight's byte: the file still reads as a valid checkpoint
            int b = f.read();
            f.seek(f.length() - 3);
            f.write(b ^ 0x40);
        }
        SafeTensors.read(file.toString(), CONF); // still a well-formed checkpoint: only the digest can tell
        long start = System.nanoTime();
        String m = assertThrows(ConfigException.class, () -> TrainJob.preflight(config(file), CONF))
                .getMessage();
        assertTrue((System.nanoTime() - start) / 1e9 < 30);
        assertTrue(m.contains(file.toString()) && m.contains(sha) && m.contains(ModelRegistry.CARD), m);
        assertTrue(SparkSession.getDefaultSession().isEmpty(), "no Spark session, so no job, may be made");
    }

    @Test
    void aCardWithoutTheDigestCannotVouchAndIsRefused() throws Exception {
        Path file = published("v3", null);
        String m = assertThrows(ConfigException.class, () -> TrainJob.preflight(config(file), CONF))
                .getMessage();
        assertTrue(m.contains("records no sha256"), m);
    }

    @Test
    void aFileWithoutACardIsNotAPublishedModel() throws Exception {
        Path alone = Files.createDirectories(dir.resolve("alone")).resolve("basis.safetensors");
        Files.write(alone, model);
        ModelBuilder.checkCheckpointIn(config(alone), CONF);
    }
}
