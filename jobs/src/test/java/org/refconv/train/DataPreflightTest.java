package org.refconv.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refconv.config.ConfigException;
import org.refconv.data.prepare.ShardSchema;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data split is checked on the driver before any Spark job: shard schema, footers and rows for every rank. */
class DataPreflightTest {

    private static final Configuration CONF = new Configuration();

    /** A dataset whose train and val splits are one shard each of {@code groups} row groups of 4 rows. */
    private static Path dataset(Path dir, MessageType schema, int groups) throws Exception {
        Files.writeString(dir.resolve("manifest.json"), "{}");
        for (String split : new String[] {"train", "val"}) {
            Path file = Files.createDirectories(dir.resolve(split)).resolve("part-00000.parquet");
            SimpleGroupFactory rows = new SimpleGroupFactory(schema);
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri()))
                    .withType(schema)
                    .withConf(CONF)
                    .withRowGroupRowCountLimit(4)
                    .build()) {
                for (int i = 0; i < 4 * groups; i++) {
                    Group g = rows.newGroup().append(ShardSchema.KEY, "k" + i).append(ShardSchema.LABEL, 0);
                    if (schema.containsField(ShardSchema.IMAGE)) {
                        g.append(ShardSchema.IMAGE, Binary.fromConstantByteArray(new byte[] {1}));
                    }
                    w.write(g);
                }
            }
        }
        return dir;
    }

    private static final MessageType SAMPLES = MessageTypeParser.parseMessageType(
            "message s { required binary key (STRING); required int32 label; required binary image; }");

    private static TrainConfig config(Path data, int ranks, int batch) {
        return TrainArgs.run("cifar_quick", data.toUri().toString(), "/tmp/unused")
                .with("mode", "pretrain")
                .with("ranks", ranks)
                .with("batch", batch)
                .config();
    }

    @Test
    void aPreparedSplitWithRowsForEveryRankPasses(@TempDir Path dir) throws Exception {
        Path data = dataset(dir, SAMPLES, 4);
        assertDoesNotThrow(() -> DataPreflight.check(config(data, 2, 8), CONF));
    }

    @Test
    void aShardWithoutTheImageColumnIsNamed(@TempDir Path dir) throws Exception {
        MessageType noImage =
                MessageTypeParser.parseMessageType("message s { required binary key (STRING); required int32 label; }");
        Path data = dataset(dir, noImage, 4);
        String m = assertThrows(ConfigException.class, () -> DataPreflight.check(config(data, 2, 8), CONF))
                .getMessage();
        assertTrue(m.contains("part-00000.parquet") && m.contains("'image'"), m);
    }

    @Test
    void tooFewRowGroupsOrRowsForTheRanksAreRefused(@TempDir Path dir) throws Exception {
        Path data = dataset(dir, SAMPLES, 2);
        String groups = assertThrows(ConfigException.class, () -> DataPreflight.check(config(data, 4, 8), CONF))
                .getMessage();
        assertTrue(groups.contains("2 row groups for 4 ranks"), groups);
        String rows = assertThrows(ConfigException.class, () -> DataPreflight.check(config(data, 2, 16), CONF))
                .getMessage();
        assertTrue(rows.contains("8 rows") && rows.contains("2 ranks x batch 8"), rows);
    }

    @Test
    void aTruncatedShardIsNamed(@TempDir Path dir) throws Exception {
        Path data = dataset(dir, SAMPLES, 4);
        Path shard = data.resolve("val/part-00000.parquet");
        byte[] whole = Files.readAllBytes(shard);
        Files.delete(shard.resolveSibling(".part-00000.parquet.crc"));
        Files.write(shard, Arrays.copyOf(whole, whole.length - 20));
        String m = assertThrows(ConfigException.class, () -> DataPreflight.check(config(data, 2, 8), CONF))
                .getMessage();
        assertTrue(m.contains("val/part-00000.parquet"), m);
    }
}
