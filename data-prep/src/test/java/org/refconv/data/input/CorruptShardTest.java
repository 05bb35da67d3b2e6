package org.refconv.data.input;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.api.Binary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refconv.data.prepare.DatasetOutput;
import org.refconv.data.prepare.ShardSchema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A shard whose footer is intact but one row group's pages are damaged: the directory (what the driver's preflight
 * reads) still lists it, and reading that row group, and only that one, fails with a {@link CorruptInputException}
 * naming the file and the row group: an error that recurs on any retry.
 */
class CorruptShardTest {

    private static final Configuration CONF = new Configuration();

    /** A committed split of one shard with {@code groups} row groups of 3 rows. */
    static Path shard(Path dataset, int groups) throws Exception {
        Path split = Files.createDirectories(dataset.resolve("train"));
        Files.writeString(dataset.resolve(DatasetOutput.MANIFEST), "{}");
        Path file = split.resolve("part-00000.parquet");
        SimpleGroupFactory rows = new SimpleGroupFactory(ShardSchema.SCHEMA);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri()))
                .withType(ShardSchema.SCHEMA)
                .withConf(CONF)
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
                .withDictionaryEncoding(false)
                .withRowGroupRowCountLimit(3)
                .withPageRowCountLimit(3)
                .build()) {
            for (int i = 0; i < 3 * groups; i++) {
                writer.write(rows.newGroup()
                        .append(ShardSchema.KEY, "k" + i)
                        .append(ShardSchema.LABEL, i % 2)
                        .append(ShardSchema.WNID, "n0")
                        .append(ShardSchema.IMAGE, Binary.fromConstantByteArray(new byte[] {1, 2, 3}))
                        .append(ShardSchema.HEIGHT, 1)
                        .append(ShardSchema.WIDTH, 1)
                        .append(ShardSchema.SOURCE_FORMAT, "jpeg"));
            }
        }
        return file;
    }

    /**
     * Overwrites the first bytes of row group {@code index}'s first column chunk (a page header), below the local
     * file system's checksum (its .crc file goes): as a shard written damaged, which no checksum catches.
     */
    static void damage(Path file, int index) throws Exception {
        Files.deleteIfExists(file.resolveSibling("." + file.getFileName() + ".crc"));
        long start;
        try (ParquetFileReader reader =
                ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file.toUri()), CONF))) {
            BlockMetaData block = reader.getRowGroups().get(index);
            start = block.getColumns().get(0).getStartingPos();
        }
        byte[] junk = new byte[12];
        Arrays.fill(junk, (byte) 0xff);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(start);
            raf.write(junk);
        }
    }

    @Test
    void aDamagedRowGroupIsNamedAndTheOthersStillRead(@TempDir Path dir) throws Exception {
        Path file = shard(dir, 3);
        damage(file, 1);
        List<RowGroupRef> groups =
                ShardFiles.rowGroups(CONF, dir.resolve("train").toUri().toString());
        assertEquals(3, groups.size(), "the footer still lists every row group");
        assertEquals(3, ShardFiles.read(CONF, groups.get(0)).size());
        assertEquals(3, ShardFiles.read(CONF, groups.get(2)).size());
        CorruptInputException e = assertThrows(CorruptInputException.class, () -> ShardFiles.read(CONF, groups.get(1)));
        assertTrue(
                e.getMessage().contains("part-00000.parquet") && e.getMessage().contains("row group 1"),
                e.getMessage());
    }
}
