package org.refconv.data.prepare;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.refconv.data.layout.ClassIndex;
import org.refconv.data.layout.LabelledDataset;

/**
 * The dataset's manifest.json: source and config, classes in label order, and per split the row counts
 * (total, per class, per source format), quarantine count and every shard with rows, bytes, row groups and
 * SHA-256. Its presence marks a committed dataset.
 */
public final class Manifest {
    public static final String FORMAT = "refconv-image-shards";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, Object> root = new LinkedHashMap<>();
    private final Map<String, Object> splits = new LinkedHashMap<>();
    private final ClassIndex classes;
    private long quarantined;

    public Manifest(PrepareConfig config, LabelledDataset dataset) {
        this.classes = dataset.classes();
        root.put("format", FORMAT);
        root.put("version", 1);
        root.put("createdAt", Instant.now().toString());
        root.put("source", Map.of("uri", config.get(PrepareConfig.INPUT), "layout", dataset.layout()));
        root.put("config", config.describe());
        root.put("classes", classes.wnids());
        root.put("splits", splits);
    }

    /** Adds a split from its shard results (in shard order). */
    public void addSplit(String split, long inputFiles, List<ShardResult> shards) {
        long rows = 0;
        long reencoded = 0;
        long setAside = 0;
        long[] perLabel = new long[classes.size()];
        Map<String, Long> formats = new java.util.TreeMap<>();
        List<Map<String, Object>> shardList = new ArrayList<>();
        for (ShardResult s : shards) {
            rows += s.rows();
            reencoded += s.reencoded();
            setAside += s.quarantined().size();
            for (int i = 0; i < perLabel.length; i++) {
                perLabel[i] += s.labelCounts()[i];
            }
            s.sourceFormats().forEach((k, v) -> formats.merge(k, v, Long::sum));
            Map<String, Object> shard = new LinkedHashMap<>();
            shard.put("file", s.file());
            shard.put("rows", s.rows());
            shard.put("bytes", s.bytes());
            shard.put("rowGroups", s.rowGroups());
            shard.put("sha256", s.sha256());
            shardList.add(shard);
        }
        Map<String, Long> perClass = new LinkedHashMap<>();
        for (int i = 0; i < perLabel.length; i++) {
            perClass.put(classes.wnids().get(i), perLabel[i]);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("inputFiles", inputFiles);
        m.put("rows", rows);
        m.put("quarantined", setAside);
        m.put("reencoded", reencoded);
        m.put("sourceFormats", formats);
        m.put("classCounts", perClass);
        m.put("shards", shardList);
        splits.put(split, m);
        quarantined += setAside;
    }

    public void write(FileSystem fs, Path file) throws IOException {
        root.put("quarantined", quarantined);
        root.put("quarantineReport", DatasetOutput.QUARANTINE);
        try (OutputStream out = fs.create(file, false)) {
            JSON.writeValue(out, root);
        }
    }

    /** Reads the manifest of the dataset at {@code datasetRoot}. */
    public static JsonNode read(FileSystem fs, Path datasetRoot) throws IOException {
        try (InputStream in = fs.open(new Path(datasetRoot, DatasetOutput.MANIFEST))) {
            return JSON.readTree(in);
        }
    }
}
