package org.refconv.data.input;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.refconv.data.prepare.DatasetOutput;
import org.refconv.data.prepare.ShardSchema;

/**
 * Plain parquet-hadoop access to the shards of one split (no Spark needed, so it runs in any task or
 * process): the row-group directory from the footers, and reading one row group's key, label and image.
 */
public final class ShardFiles {
    private static final MessageType PROJECTION = new MessageType(
            "sample",
            ShardSchema.SCHEMA.getType(ShardSchema.KEY),
            ShardSchema.SCHEMA.getType(ShardSchema.LABEL),
            ShardSchema.SCHEMA.getType(ShardSchema.IMAGE));

    private ShardFiles() {}

    /**
     * Row groups of every shard of {@code splitDir}, in file order. Refuses a split whose dataset has no
     * manifest: that is an uncommitted or foreign output.
     */
    public static List<RowGroupRef> rowGroups(Configuration conf, String splitDir) throws IOException {
        Path dir = new Path(splitDir);
        FileSystem fs = dir.getFileSystem(conf);
        Path manifest = new Path(dir.getParent(), DatasetOutput.MANIFEST);
        if (!fs.isFile(manifest)) {
            throw new IOException(manifest + " not found: " + dir + " is not part of a committed prepare output");
        }
        FileStatus[] files = fs.listStatus(
                dir,
                p -> p.getName().endsWith(".parquet")
                        && !p.getName().startsWith("_")
                        && !p.getName().startsWith("."));
        Arrays.sort(files, Comparator.comparing(s -> s.getPath().getName()));
        List<RowGroupRef> refs = new ArrayList<>();
        for (FileStatus f : files) {
            try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromStatus(f, conf))) {
                List<BlockMetaData> blocks = reader.getRowGroups();
                for (int i = 0; i < blocks.size(); i++) {
                    refs.add(new RowGroupRef(
                            f.getPath().toString(), i, blocks.get(i).getRowCount()));
                }
            }
        }
        if (refs.isEmpty()) {
            throw new IOException(dir + ": no rows in any shard");
        }
        return refs;
    }

    /**
     * Reads the samples of one row group, in stored order. Bytes that do not decode (a corrupt page, a checksum
     * mismatch) are a {@link CorruptInputException} naming file and row group; other I/O errors stay IOExceptions.
     */
    public static List<Sample> read(Configuration conf, RowGroupRef ref) throws IOException {
        try {
            return readRowGroup(conf, ref);
        } catch (org.apache.parquet.ParquetRuntimeException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new CorruptInputException(ref, e);
        } catch (IOException e) {
            if (damaged(e)) {
                throw new CorruptInputException(ref, e);
            }
            throw e; // the file system's trouble (a lost connection, a missing file): a retry may not meet it
        }
    }

    /**
     * Whether an I/O error is damaged bytes: a checksum mismatch (HDFS raises it only once every replica failed) or
     * a Parquet page header that does not parse (thrift's protocol error).
     */
    private static boolean damaged(IOException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof org.apache.hadoop.fs.ChecksumException
                    || c.getClass().getName().contains(".thrift.")) {
                return true;
            }
        }
        return false;
    }

    private static List<Sample> readRowGroup(Configuration conf, RowGroupRef ref) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(ref.file()), conf))) {
            reader.setRequestedSchema(PROJECTION);
            RecordReader<Group> records = new ColumnIOFactory()
                    .getColumnIO(PROJECTION)
                    .getRecordReader(reader.readRowGroup(ref.index()), new GroupRecordConverter(PROJECTION));
            List<Sample> samples = new ArrayList<>((int) ref.rows());
            for (long i = 0; i < ref.rows(); i++) {
                Group g = records.read();
                samples.add(new Sample(
                        g.getString(ShardSchema.KEY, 0),
                        g.getInteger(ShardSchema.LABEL, 0),
                        g.getBinary(ShardSchema.IMAGE, 0).getBytes()));
            }
            return samples;
        }
    }
}
