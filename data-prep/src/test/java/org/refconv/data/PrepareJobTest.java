package org.refconv.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.cli.ExitCode;
import org.refconv.cli.JobMain;
import org.refconv.data.input.InputPipeline;
import org.refconv.data.layout.KaggleLayout;
import org.refconv.data.layout.LayoutException;
import org.refconv.data.prepare.DatasetOutput;
import org.refconv.data.prepare.Manifest;
import org.refconv.data.prepare.OutputExistsException;
import org.refconv.data.prepare.PrepareConfig;
import org.refconv.data.prepare.PrepareSummary;
import org.refconv.data.prepare.Preparer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The prepare job on local Spark and the local file system. */
class PrepareJobTest {
    private static final Path BASE = Path.of("target/test-data/prepare").toAbsolutePath();
    private static final List<String> SORTED = List.of("n01000001", "n01000002", "n01000003");
    private static SparkSession spark;
    private static FileSystem fs;
    private static Path kaggle;

    @BeforeAll
    static void setUp() throws Exception {
        TestTrees.fresh(BASE);
        spark = LocalSpark.start("PrepareJobTest");
        fs = FileSystem.getLocal(new Configuration());
        kaggle = TestTrees.kaggle(BASE.resolve("kaggle"), 6, 2, true);
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    private static PrepareSummary prepare(Path input, Path output, String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(
                List.of("--input", input.toString(), "--output", output.toString(), "--rowGroupRows", "4"));
        args.addAll(List.of(extra));
        return new Preparer(spark).run(PrepareConfig.fromArgs(args.toArray(String[]::new)));
    }

    private static org.apache.hadoop.fs.Path hpath(Path p) {
        return new org.apache.hadoop.fs.Path(p.toUri());
    }

    @Test
    void kaggleTreeBecomesNormalisedShardsAndAQuarantineReport() throws Exception {
        Path out = BASE.resolve("out-kaggle");
        PrepareSummary summary = prepare(kaggle, out);
        // 18 good + CMYK, grey, PNG-named-.JPEG in train; truncated and text file quarantined.
        assertEquals(Map.of("train", 21L, "val", 6L), summary.rowsPerSplit());
        assertEquals(2, summary.quarantined());
        assertEquals(2, summary.shardsPerSplit().get("train")); // one per core: the data is far below 256 MB

        List<String> report = Files.readAllLines(out.resolve(DatasetOutput.QUARANTINE));
        assertEquals(3, report.size());
        Map<String, String> reasons =
                report.stream().skip(1).map(l -> l.split("\t")).collect(Collectors.toMap(a -> a[1], a -> a[2]));
        assertTrue(reasons.get("ILSVRC/Data/CLS-LOC/train/n01000001/n01000001_truncated.JPEG")
                .contains("truncated"));
        assertTrue(reasons.get("ILSVRC/Data/CLS-LOC/train/n01000001/n01000001_text.JPEG")
                .contains("not an image"));

        List<Row> train = PreparedDatasets.assertRowsAreNormalised(spark, hpath(out.resolve("train")), SORTED);
        Set<String> formats =
                train.stream().map(r -> (String) r.getAs("source_format")).collect(Collectors.toSet());
        assertEquals(Set.of("jpeg", "jpeg-cmyk", "jpeg-grey", "png"), formats);
        Map<String, Set<Integer>> labelsPerShard = new HashMap<>();
        for (Row r : spark.read()
                .parquet(out.resolve("train").toString())
                .selectExpr("input_file_name() as f", "label")
                .collectAsList()) {
            labelsPerShard
                    .computeIfAbsent(r.getString(0), k -> new java.util.HashSet<>())
                    .add(r.getInt(1));
        }
        labelsPerShard.values().forEach(labels -> assertTrue(labels.size() >= 2, "a shard holds one class only"));
        PreparedDatasets.assertRowsAreNormalised(spark, hpath(out.resolve("val")), SORTED);

        JsonNode m = Manifest.read(fs, hpath(out));
        assertEquals("kaggle", m.path("source").path("layout").asText());
        assertEquals(
                SORTED,
                List.of(
                        m.path("classes").get(0).asText(),
                        m.path("classes").get(1).asText(),
                        m.path("classes").get(2).asText()));
        assertEquals(23, m.path("splits").path("train").path("inputFiles").asLong());
        assertEquals(
                9,
                m.path("splits")
                        .path("train")
                        .path("classCounts")
                        .path("n01000001")
                        .asLong());
        assertEquals(2, m.path("quarantined").asLong());
        PreparedDatasets.assertManifestMatchesShards(spark, fs, hpath(out), "train");
        PreparedDatasets.assertManifestMatchesShards(spark, fs, hpath(out), "val");
    }

    @Test
    void rerunRefusesUnlessOverwriteAndTheSameSeedGivesTheSameShards() throws Exception {
        Path out = BASE.resolve("out-rerun");
        prepare(kaggle, out);
        List<String> first = PreparedDatasets.shardChecksums(fs, hpath(out));
        String message = assertThrows(OutputExistsException.class, () -> prepare(kaggle, out))
                .getMessage();
        assertTrue(message.contains("already holds a complete dataset"), message);
        assertEquals(ExitCode.OUTPUT_EXISTS, JobMain.run("prepare", () -> {
            prepare(kaggle, out);
            return ExitCode.OK;
        }));
        prepare(kaggle, out, "--overwrite");
        assertEquals(first, PreparedDatasets.shardChecksums(fs, hpath(out)), "same input and seed, other bytes");
        prepare(kaggle, BASE.resolve("out-other-seed"), "--seed", "7");
        assertNotEquals(first, PreparedDatasets.shardChecksums(fs, hpath(BASE.resolve("out-other-seed"))));
    }

    @Test
    void partialOutputIsNeverTakenForAComplete() throws Exception {
        // What a killed run or a foreign tool could leave: shards but no manifest.
        Path out = BASE.resolve("out-partial");
        TestImages.write(out.resolve("train/part-00000.parquet"), new byte[] {1, 2, 3});
        assertEquals(DatasetOutput.State.INCOMPLETE, new DatasetOutput(fs, hpath(out)).state());
        String message = assertThrows(OutputExistsException.class, () -> prepare(kaggle, out))
                .getMessage();
        assertTrue(message.contains("has no manifest.json"), message);
        assertThrows(
                java.io.IOException.class,
                () -> InputPipeline.builder(out.resolve("train").toString()).build());
        // A stale temporary folder of an interrupted run is ignored, then removed by --overwrite.
        Path stale = BASE.resolve("out-partial._tmp-20000101-000000-dead");
        TestImages.write(stale.resolve("train/part-00000.parquet"), new byte[] {1});
        prepare(kaggle, out, "--overwrite", "--splits", "val");
        assertEquals(DatasetOutput.State.COMPLETE, new DatasetOutput(fs, hpath(out)).state());
        assertFalse(Files.exists(out.resolve("train")), "old partial files survived the overwrite");
        assertFalse(Files.exists(stale));
    }

    @Test
    void devkitTreeIsLabelledInSortedWnidOrder() throws Exception {
        Path devkit = TestTrees.devkit(BASE.resolve("devkit"), 3, 2);
        Path out = BASE.resolve("out-devkit");
        PrepareSummary summary = prepare(devkit, out);
        assertEquals("devkit", summary.layout());
        List<Row> val = PreparedDatasets.assertRowsAreNormalised(spark, hpath(out.resolve("val")), SORTED);
        Row first = val.stream()
                .filter(r -> ((String) r.getAs("key")).endsWith("val_00000001.JPEG"))
                .findFirst()
                .orElseThrow();
        assertEquals("n01000003", first.getAs("wnid"));
        assertEquals(2, (int) first.getAs("label"));
    }

    @Test
    void badLayoutFailsBeforeWritingAnything() throws Exception {
        Path bad = TestTrees.kaggle(BASE.resolve("bad-kaggle"), 1, 1, false);
        TestTrees.writeLines(
                bad.resolve(KaggleLayout.VAL_SOLUTION),
                List.of("ImageId,PredictionString", "ILSVRC2012_val_00000001,n08888888 1 1 2 2"));
        Path out = BASE.resolve("out-bad");
        String message =
                assertThrows(LayoutException.class, () -> prepare(bad, out)).getMessage();
        assertTrue(message.contains("LOC_val_solution.csv:2: unknown wnid n08888888"), message);
        assertEquals(ExitCode.BAD_LAYOUT, JobMain.run("prepare", () -> {
            prepare(bad, out);
            return ExitCode.OK;
        }));
        assertFalse(Files.exists(out));
        try (var siblings = Files.list(BASE)) {
            assertTrue(siblings.noneMatch(p -> p.getFileName().toString().startsWith("out-bad")));
        }
    }
}
