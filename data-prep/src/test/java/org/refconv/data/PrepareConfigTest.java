package org.refconv.data;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.refconv.config.ConfigException;
import org.refconv.data.image.ResizeRule;
import org.refconv.data.prepare.PrepareConfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrepareConfigTest {
    private static final Path DIR = TestTrees.fresh(Path.of("target/test-data/config"));

    private static Path file(String name, String... lines) {
        Path p = DIR.resolve(name);
        TestTrees.writeLines(p, List.of(lines));
        return p;
    }

    private static String error(String... args) {
        return assertThrows(ConfigException.class, () -> PrepareConfig.fromArgs(args))
                .getMessage();
    }

    @Test
    void keyValueFileThenCommandLineOverrides() {
        Path conf = file(
                "a.conf",
                "# comment",
                "input = /data/in",
                "output: \"/data/out\"",
                "seed = 7",
                "resize = shorter:256  # trailing comment",
                "splits = [train, val]");
        PrepareConfig c = PrepareConfig.fromArgs(
                new String[] {"--config", conf.toString(), "--seed", "9", "--row-group-rows=64", "--overwrite"});
        assertEquals("/data/in", c.get(PrepareConfig.INPUT));
        assertEquals("/data/out", c.get(PrepareConfig.OUTPUT));
        assertEquals(9, c.get(PrepareConfig.SEED));
        assertEquals(64, c.get(PrepareConfig.ROW_GROUP_ROWS));
        assertEquals(new ResizeRule(ResizeRule.Mode.SHORTER_SIDE, 256), c.get(PrepareConfig.RESIZE));
        assertEquals(List.of("train", "val"), c.get(PrepareConfig.SPLITS));
        assertTrue(c.get(PrepareConfig.OVERWRITE));
        assertEquals(256, c.get(PrepareConfig.SHARD_SIZE_MB)); // default
    }

    @Test
    void jsonFileWorksToo() {
        Path conf = file(
                "a.json",
                "{",
                "  \"input\": \"hdfs://nn/in\",",
                "  \"output\": \"hdfs://nn/out\",",
                "  \"splits\": [\"val\"],",
                "  \"jpegQuality\": 85",
                "}");
        PrepareConfig c = PrepareConfig.fromArgs(new String[] {"--config", conf.toString()});
        assertEquals(List.of("val"), c.get(PrepareConfig.SPLITS));
        assertEquals(85, c.get(PrepareConfig.JPEG_QUALITY));
    }

    @Test
    void errorsNameFileLineOrOption() {
        Path conf = file("bad.conf", "input = /in", "output = /out", "", "sed = 3");
        assertTrue(error("--config", conf.toString()).startsWith(conf + ":4: unknown key 'sed'"));
        Path json = file("bad.json", "{\"input\": \"/in\",", " \"output\": \"/out\",", " \"shardSizeMb\": \"big\"}");
        assertTrue(error("--config", json.toString()).startsWith(json + ":3 (shardSizeMb): expected an integer"));
        assertTrue(error("--input", "/in", "--output", "/out", "--jpeg-quality", "101")
                .startsWith("--jpeg-quality (jpegQuality): must be in 1..100"));
        assertTrue(error("--output", "/out").contains("missing required setting 'input'"));
        assertTrue(
                error("--input", "/in", "--output", "/out", "--resize", "half").contains("expected none, shorter:N"));
        assertTrue(error("--input", "/in", "--output", "/in/shards").contains("must not be the input folder"));
        assertTrue(error("input").contains("expected --key value"));
    }
}
