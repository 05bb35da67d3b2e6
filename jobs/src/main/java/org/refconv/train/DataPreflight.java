package org.refconv.train;

import java.io.IOException;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.refconv.config.ConfigException;
import org.refconv.data.input.EpochPlan;
import org.refconv.data.input.RowGroupRef;
import org.refconv.data.input.ShardFiles;
import org.refconv.data.prepare.ShardSchema;

/**
 * The data checks of the train job's preflight, on the driver before any Spark job: every shard's footer opens and
 * holds the sample columns with their prepared types, and the training split has enough rows and row groups for one
 * step of every rank. A footer is a few kB at the end of each file: this reads no image.
 */
final class DataPreflight {

    private static final List<String> COLUMNS = List.of(ShardSchema.KEY, ShardSchema.LABEL, ShardSchema.IMAGE);

    private DataPreflight() {}

    static void check(TrainConfig config, Configuration conf) {
        List<RowGroupRef> train = split(config.data() + "/train", conf);
        split(config.data() + "/val", conf);
        String where = config.data() + "/train";
        if (train.size() < config.ranks()) {
            throw new ConfigException(where + " has " + train.size() + " row groups for " + config.ranks()
                    + " ranks: prepare it with a smaller rowGroupRows, or train with fewer ranks");
        }
        long batches = EpochPlan.create(train, config.ranks(), 0, config.seed(), config.batchPerRank())
                .batchesPerRank();
        if (batches == 0) {
            long rows = train.stream().mapToLong(RowGroupRef::rows).sum();
            throw new ConfigException(where + " has " + rows + " rows: too few for one step of " + config.ranks()
                    + " ranks x batch " + config.batchPerRank());
        }
    }

    /** The split's row groups, each shard's schema checked; any unreadable footer is named. */
    private static List<RowGroupRef> split(String dir, Configuration conf) {
        List<RowGroupRef> groups;
        try {
            groups = ShardFiles.rowGroups(conf, dir);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("data: " + dir + ": " + e.getMessage());
        }
        groups.stream().map(RowGroupRef::file).distinct().forEach(file -> checkSchema(file, conf));
        return groups;
    }

    private static void checkSchema(String file, Configuration conf) {
        MessageType schema;
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file), conf))) {
            schema = reader.getFooter().getFileMetaData().getSchema();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("data: " + file + ": " + e.getMessage());
        }
        for (String column : COLUMNS) {
            if (!schema.containsField(column) || !schema.getType(column).equals(ShardSchema.SCHEMA.getType(column))) {
                throw new ConfigException("data: " + file + ": column '" + column + "' should be "
                        + ShardSchema.SCHEMA.getType(column) + " (a shard of the prepare job), found "
                        + (schema.containsField(column) ? schema.getType(column) : "none"));
            }
        }
    }
}
