package org.refconv.data;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.data.input.Batch;
import org.refconv.data.input.BatchIterator;
import org.refconv.data.input.ImageTransform;
import org.refconv.data.input.InputPipeline;
import org.refconv.data.prepare.OutputExistsException;
import org.refconv.data.prepare.PrepareConfig;
import org.refconv.data.prepare.PrepareSummary;
import org.refconv.data.prepare.Preparer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** hdfs:// in, hdfs:// out (and file:// in, hdfs:// out), on an in-process MiniDFSCluster; then the reader on HDFS. */
class HdfsPrepareTest {
    private static MiniDFSCluster cluster;
    private static SparkSession spark;
    private static FileSystem hdfs;
    private static String base;
    private static Path localTree;

    @BeforeAll
    static void setUp() throws Exception {
        Configuration conf = new Configuration();
        Path dir = TestTrees.fresh(Path.of("target/test-data/hdfs").toAbsolutePath());
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("cluster").toString());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        hdfs = cluster.getFileSystem();
        base = hdfs.getUri() + "/imagenet";
        Path local = TestTrees.kaggle(dir.resolve("kaggle"), 6, 2, true);
        localTree = local;
        hdfs.copyFromLocalFile(
                new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path(base + "/kaggle"));
        spark = LocalSpark.start("HdfsPrepareTest");
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.stop();
        }
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    /** Shards go to HDFS while the images are read from the local file system: each file from its own. */
    @Test
    void prepareFromLocalFilesToHdfs() throws Exception {
        String out = base + "/from-local";
        PrepareSummary summary = new Preparer(spark).run(PrepareConfig.fromArgs(new String[] {
            "--input", localTree.toUri().toString(), "--output", out, "--rowGroupRows", "3"
        }));
        assertEquals(21, summary.rowsPerSplit().get("train"));
        assertEquals(2, summary.quarantined());
        PreparedDatasets.assertManifestMatchesShards(spark, hdfs, new org.apache.hadoop.fs.Path(out), "train");
    }

    @Test
    void prepareFromHdfsToHdfsThenReadByRank() throws Exception {
        String out = base + "/shards";
        String[] args = {"--input", base + "/kaggle", "--output", out, "--rowGroupRows", "3"};
        PrepareSummary summary = new Preparer(spark).run(PrepareConfig.fromArgs(args));
        assertTrue(summary.output().startsWith("hdfs://"), summary.output());
        assertEquals(21, summary.rowsPerSplit().get("train"));
        assertEquals(2, summary.quarantined());
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(out);
        PreparedDatasets.assertManifestMatchesShards(spark, hdfs, root, "train");
        PreparedDatasets.assertRowsAreNormalised(
                spark, new org.apache.hadoop.fs.Path(out + "/val"), List.of("n01000001", "n01000002", "n01000003"));
        assertThrows(OutputExistsException.class, () -> new Preparer(spark).run(PrepareConfig.fromArgs(args)));

        Set<String> seen = new HashSet<>();
        long batches = -1;
        for (int rank = 0; rank < 2; rank++) {
            InputPipeline input = InputPipeline.builder(out + "/train")
                    .rank(rank)
                    .worldSize(2)
                    .seed(1)
                    .batchSize(4)
                    .threads(2)
                    .transform(ImageTransform.train(32))
                    .hadoopConf(hdfs.getConf())
                    .build();
            try (BatchIterator it = input.epoch(0)) {
                assertTrue(batches < 0 || batches == it.batches(), "ranks disagree on the batch count");
                batches = it.batches();
                while (it.hasNext()) {
                    Batch b = it.next();
                    for (String key : b.keys()) {
                        assertTrue(seen.add(key), key + " read by both ranks");
                    }
                }
            }
        }
        assertTrue(batches >= 2, "batches per rank: " + batches);
        assertEquals(2 * batches * 4, seen.size());
    }
}
