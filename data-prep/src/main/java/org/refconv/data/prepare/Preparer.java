package org.refconv.data.prepare;

import java.io.IOException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.SparkSession;
import org.refconv.data.layout.DatasetLayout;
import org.refconv.data.layout.DatasetTree;
import org.refconv.data.layout.ImageEntry;
import org.refconv.data.layout.LabelledDataset;

/**
 * The prepare pipeline: list and label the input tree on the driver (failing fast on a bad layout), shuffle
 * each split by seed, cut it into contiguous runs of the shuffled order (one Spark task and one shard each,
 * so every shard mixes classes), write shards into a temporary folder, then the quarantine report and the
 * manifest, and commit.
 */
public final class Preparer {
    private final SparkSession spark;

    public Preparer(SparkSession spark) {
        this.spark = spark;
    }

    public PrepareSummary run(PrepareConfig config) throws IOException {
        long start = System.nanoTime();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path outPath = new Path(config.get(PrepareConfig.OUTPUT));
        FileSystem outFs = outPath.getFileSystem(hadoop);
        DatasetOutput output = new DatasetOutput(outFs, outPath);
        output.checkWritable(config.get(PrepareConfig.OVERWRITE));

        Path inPath = new Path(config.get(PrepareConfig.INPUT));
        DatasetTree tree = new DatasetTree(inPath.getFileSystem(hadoop), inPath);
        LabelledDataset dataset = DatasetLayout.named(config.get(PrepareConfig.LAYOUT), tree)
                .read(tree, config.get(PrepareConfig.SPLITS));

        for (Path stale : output.staleTemporaries()) {
            System.err.println("prepare: " + (config.get(PrepareConfig.OVERWRITE) ? "deleting" : "ignoring")
                    + " the temporary folder of an earlier, unfinished run: " + stale);
            if (config.get(PrepareConfig.OVERWRITE)) {
                output.discard(stale);
            }
        }
        String runId = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        Path temp = output.createTemporary(runId);
        try {
            Manifest manifest = new Manifest(config, dataset);
            List<QuarantinedImage> quarantined = new ArrayList<>();
            Map<String, Long> rows = new LinkedHashMap<>();
            Map<String, Integer> shards = new LinkedHashMap<>();
            long reencoded = 0;
            for (Map.Entry<String, List<ImageEntry>> split : dataset.splits().entrySet()) {
                List<ImageEntry> entries = shuffled(split.getValue(), config.get(PrepareConfig.SEED), split.getKey());
                Path splitDir = new Path(temp, split.getKey());
                ShardWriter writer = new ShardWriter(
                        hadoop,
                        splitDir.toString(),
                        split.getKey(),
                        config.get(PrepareConfig.RESIZE),
                        config.get(PrepareConfig.JPEG_QUALITY),
                        config.get(PrepareConfig.ROW_GROUP_ROWS),
                        config.rowGroupBytes(),
                        dataset.classes().size());
                List<ShardResult> results = writeShards(entries, shardCount(entries, config), writer);
                removeAttemptLeftovers(outFs, splitDir);
                manifest.addSplit(split.getKey(), entries.size(), results);
                for (ShardResult r : results) {
                    quarantined.addAll(r.quarantined());
                    reencoded += r.reencoded();
                }
                rows.put(
                        split.getKey(),
                        results.stream().mapToLong(ShardResult::rows).sum());
                shards.put(split.getKey(), results.size());
            }
            QuarantineReport.write(outFs, new Path(temp, DatasetOutput.QUARANTINE), quarantined);
            manifest.write(outFs, new Path(temp, DatasetOutput.MANIFEST));
            output.commit(temp);
            return new PrepareSummary(
                    output.path().toString(),
                    dataset.layout(),
                    rows,
                    shards,
                    quarantined.size(),
                    reencoded,
                    (System.nanoTime() - start) / 1e9);
        } catch (IOException | RuntimeException e) {
            output.discard(temp);
            throw e;
        }
    }

    /** The split in key order, then shuffled with a seed derived from {@code seed} and the split name. */
    static List<ImageEntry> shuffled(List<ImageEntry> entries, long seed, String split) {
        List<ImageEntry> list = new ArrayList<>(entries);
        list.sort(Comparator.comparing(ImageEntry::key));
        Collections.shuffle(list, new Random(seed * 1_000_003L + split.hashCode()));
        return list;
    }

    /**
     * Enough shards to stay near the target size (estimated from input file sizes), and at least one per
     * core while each shard still gets a full row group.
     */
    int shardCount(List<ImageEntry> entries, PrepareConfig config) {
        long bytes = entries.stream().mapToLong(ImageEntry::bytes).sum();
        long bySize = (bytes + config.shardSizeBytes() - 1) / config.shardSizeBytes();
        long byRowGroups = Math.max(1, entries.size() / config.get(PrepareConfig.ROW_GROUP_ROWS));
        long byCores = Math.min(spark.sparkContext().defaultParallelism(), byRowGroups);
        return (int) Math.max(1, Math.min(Math.max(bySize, byCores), Math.max(1, entries.size())));
    }

    private List<ShardResult> writeShards(List<ImageEntry> entries, int shards, ShardWriter writer) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // parallelize() slices a list into contiguous runs: shard i is positions [i*n/shards, (i+1)*n/shards).
        return jsc.parallelize(entries, shards)
                .mapPartitionsWithIndex(writeShard(writer), false)
                .collect();
    }

    private static Function2<Integer, java.util.Iterator<ImageEntry>, java.util.Iterator<ShardResult>> writeShard(
            ShardWriter writer) {
        return (index, rows) -> List.of(writer.write(index, rows)).iterator();
    }

    private static void removeAttemptLeftovers(FileSystem fs, Path splitDir) throws IOException {
        if (!fs.exists(splitDir)) {
            return;
        }
        for (FileStatus s : fs.listStatus(splitDir)) {
            if (s.getPath().getName().startsWith("_attempt-")) {
                fs.delete(s.getPath(), false);
            }
        }
    }
}
