package org.refconv.data;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.refconv.data.image.JpegHeader;
import org.refconv.data.image.SourceFormat;
import org.refconv.data.prepare.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Checks shared by the tests that run the prepare job. */
final class PreparedDatasets {
    private PreparedDatasets() {}

    /** The manifest's shard list agrees with the files: rows (read back by Spark), bytes and SHA-256. */
    static void assertManifestMatchesShards(SparkSession spark, FileSystem fs, Path root, String split)
            throws Exception {
        JsonNode m = Manifest.read(fs, root);
        long rows = 0;
        for (JsonNode shard : m.path("splits").path(split).path("shards")) {
            Path file = new Path(root, shard.get("file").asText());
            assertEquals(shard.get("bytes").asLong(), fs.getFileStatus(file).getLen());
            assertEquals(shard.get("sha256").asText(), sha256(fs, file));
            assertEquals(
                    shard.get("rows").asLong(),
                    spark.read().parquet(file.toString()).count());
            rows += shard.get("rows").asLong();
        }
        assertEquals(m.path("splits").path(split).path("rows").asLong(), rows);
    }

    /** Every row holds a baseline 3-channel JPEG of its stated size, labelled with the sorted-wnid index. */
    static List<Row> assertRowsAreNormalised(SparkSession spark, Path splitDir, List<String> sortedWnids) {
        List<Row> rows = spark.read().parquet(splitDir.toString()).collectAsList();
        for (Row r : rows) {
            byte[] jpeg = r.getAs("image");
            JpegHeader h = JpegHeader.parse(jpeg);
            assertEquals(SourceFormat.JPEG_BASELINE_RGB, SourceFormat.sniff(jpeg), (String) r.getAs("key"));
            assertEquals((int) r.getAs("width"), h.width());
            assertEquals((int) r.getAs("height"), h.height());
            assertEquals(sortedWnids.indexOf((String) r.getAs("wnid")), (int) r.getAs("label"));
        }
        return rows;
    }

    static List<String> shardChecksums(FileSystem fs, Path root) throws IOException {
        List<String> sums = new ArrayList<>();
        Manifest.read(fs, root)
                .path("splits")
                .forEach(split -> split.path("shards")
                        .forEach(s -> sums.add(
                                s.get("file").asText() + "=" + s.get("sha256").asText())));
        return sums;
    }

    static String sha256(FileSystem fs, Path file) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (InputStream in = fs.open(file)) {
            d.update(in.readAllBytes());
        }
        return HexFormat.of().formatHex(d.digest());
    }
}
