package org.refconv.data.prepare;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.refconv.data.image.BadImageException;
import org.refconv.data.image.ImageNormalizer;
import org.refconv.data.image.NormalizedImage;
import org.refconv.data.image.ResizeRule;
import org.refconv.data.layout.ImageEntry;

/**
 * Writes one Parquet shard of a split from a sequence of inputs, normalising every image and setting aside
 * the ones that fail. Runs inside a Spark task but needs nothing from Spark. The shard is written under a
 * unique hidden name and renamed at the end, so a retried or speculative task never leaves half a file under
 * the shard's name.
 */
public final class ShardWriter implements Serializable {
    private final HadoopConf conf;
    private final String splitDir;
    private final String split;
    private final ResizeRule resize;
    private final int jpegQuality;
    private final int rowGroupRows;
    private final long rowGroupBytes;
    private final int numClasses;

    /**
     * @param splitDir folder (URI) the shard goes to, {@code <dataset>/<split>}
     * @param rowGroupRows rows per row group: the unit the training reader deals out to ranks
     */
    public ShardWriter(
            Configuration conf,
            String splitDir,
            String split,
            ResizeRule resize,
            int jpegQuality,
            int rowGroupRows,
            long rowGroupBytes,
            int numClasses) {
        this.conf = new HadoopConf(conf);
        this.splitDir = splitDir;
        this.split = split;
        this.resize = resize;
        this.jpegQuality = jpegQuality;
        this.rowGroupRows = rowGroupRows;
        this.rowGroupBytes = rowGroupBytes;
        this.numClasses = numClasses;
    }

    public static String shardName(int index) {
        return String.format("part-%05d.parquet", index);
    }

    public ShardResult write(int shardIndex, Iterator<ImageEntry> entries) throws IOException {
        Configuration hadoop = conf.get();
        Path dir = new Path(splitDir);
        FileSystem fs = dir.getFileSystem(hadoop);
        Path target = new Path(dir, shardName(shardIndex));
        Path attempt = new Path(dir, "_attempt-" + UUID.randomUUID() + "-" + target.getName());

        ImageNormalizer normalizer = new ImageNormalizer(resize, jpegQuality);
        SimpleGroupFactory rows = new SimpleGroupFactory(ShardSchema.SCHEMA);
        DigestingOutputFile out = new DigestingOutputFile(HadoopOutputFile.fromPath(attempt, hadoop));
        long[] labelCounts = new long[numClasses];
        Map<String, Long> formats = new TreeMap<>();
        List<QuarantinedImage> quarantined = new ArrayList<>();
        long written = 0;
        long reencoded = 0;
        ParquetWriter<Group> writer = ExampleParquetWriter.builder(out)
                .withType(ShardSchema.SCHEMA)
                .withConf(hadoop)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED) // JPEG bytes do not compress
                .withDictionaryEncoding(false)
                .withRowGroupSize(rowGroupBytes)
                .withRowGroupRowCountLimit(rowGroupRows)
                .build();
        try {
            while (entries.hasNext()) {
                ImageEntry e = entries.next();
                NormalizedImage image;
                try {
                    image = normalizer.normalize(read(hadoop, e));
                } catch (BadImageException ex) {
                    quarantined.add(new QuarantinedImage(split, e.key(), ex.getMessage()));
                    continue;
                } catch (IOException ex) {
                    quarantined.add(new QuarantinedImage(split, e.key(), "unreadable: " + ex));
                    continue;
                }
                writer.write(rows.newGroup()
                        .append(ShardSchema.KEY, e.key())
                        .append(ShardSchema.LABEL, e.label())
                        .append(ShardSchema.WNID, e.wnid())
                        .append(ShardSchema.IMAGE, Binary.fromConstantByteArray(image.jpeg()))
                        .append(ShardSchema.HEIGHT, image.height())
                        .append(ShardSchema.WIDTH, image.width())
                        .append(ShardSchema.SOURCE_FORMAT, image.source().label()));
                written++;
                labelCounts[e.label()]++;
                formats.merge(image.source().label(), 1L, Long::sum);
                reencoded += image.reencoded() ? 1 : 0;
            }
        } catch (IOException | RuntimeException ex) {
            writer.close();
            fs.delete(attempt, false);
            throw ex;
        }
        writer.close();
        int rowGroups = writer.getFooter().getBlocks().size();
        fs.delete(target, false);
        if (!fs.rename(attempt, target)) {
            throw new IOException("cannot rename " + attempt + " to " + target);
        }
        long bytes = fs.getFileStatus(target).getLen();
        return new ShardResult(
                split + "/" + target.getName(),
                written,
                bytes,
                out.sha256(),
                rowGroups,
                reencoded,
                labelCounts,
                formats,
                quarantined);
    }

    /** The image's bytes from its own file system: the input tree may live on another one than the shards. */
    private static byte[] read(Configuration hadoop, ImageEntry e) throws IOException {
        Path path = new Path(e.uri());
        try (InputStream in = path.getFileSystem(hadoop).open(path)) {
            return in.readAllBytes();
        }
    }
}
